import { attachmentDisposition } from '@app/infrastructure';
import { fileNameFromDisposition, safeFileName } from './content-disposition';

describe('fileNameFromDisposition', () => {
  it.each([
    'all-tickets-20261123-121500.csv',
    'Überfällige Tickets — März-20260301-000000.csv',
    'quote"and back\\slash 100%.json',
    "it's (really) *fine*.ndjson",
  ])('reads back what the service writes: %s', (name) => {
    expect(fileNameFromDisposition(attachmentDisposition(name))).toBe(name);
  });

  it('falls back to the quoted name when there is no usable extended one', () => {
    expect(fileNameFromDisposition('attachment; filename="plain.csv"')).toBe('plain.csv');
    expect(fileNameFromDisposition(`attachment; filename="x.csv"; filename*=UTF-8''%E0%A4%A.csv`)).toBe(
      'x.csv',
    );
    expect(fileNameFromDisposition('attachment; filename=token.csv')).toBe('token.csv');
  });

  it('is null without a file name', () => {
    expect(fileNameFromDisposition(null)).toBeNull();
    expect(fileNameFromDisposition('attachment')).toBeNull();
  });
});

describe('safeFileName', () => {
  it('keeps ordinary names', () => {
    expect(safeFileName('all-tickets-20261123-121500.csv')).toBe('all-tickets-20261123-121500.csv');
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['/abs/path/x.csv', 'x.csv'],
    ['bell\u0007.csv', 'bell.csv'],
  ])('never leaves the output directory: %s', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
  });

  it.each([null, '', '..', '.', '.hidden', '../', 'x'.repeat(300)])('refuses %s', (name) => {
    expect(safeFileName(name)).toBeNull();
  });
});
