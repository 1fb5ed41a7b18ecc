import {
  compactTimestamp,
  exportAttemptPrefix,
  exportFileName,
  exportObjectKey,
  FILE_NAME_PATTERN,
  slugify,
} from './export-file-name';

const at = new Date('2026-03-29T00:30:05Z');

describe('export file names', () => {
  it.each([
    ['Billing and refunds', 'billing-and-refunds'],
    ['Billing & Refunds (EU)', 'billing-refunds-eu'],
    ['  Crème brûlée  ', 'creme-brulee'],
    ['票务导出', 'tickets'],
    ['--', 'tickets'],
  ])('slugify(%j) is %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('stamps the request time in the job zone', () => {
    expect(compactTimestamp(at, 'UTC')).toBe('20260329-003005');
    expect(compactTimestamp(at, 'Europe/Paris')).toBe('20260329-013005');
    expect(compactTimestamp(at, 'America/New_York')).toBe('20260328-203005');
  });

  it('uses the user file name, else the view slug, else tickets', () => {
    const job = (
      fileName: string | null,
      viewName: string | null,
      format: 'csv' | 'json' | 'ndjson' = 'csv',
    ) => ({
      id: 'j1',
      tenantId: 't1',
      attempts: 2,
      format,
      requestedAt: at,
      query: { fileName, viewName, timezone: 'Europe/Paris' },
    });

    expect(exportFileName(job('weekly report', 'Open tickets'))).toBe('weekly report-20260329-013005.csv');
    expect(exportFileName(job(null, 'Open tickets', 'json'))).toBe('open-tickets-20260329-013005.json');
    expect(exportFileName(job(null, null, 'ndjson'))).toBe('tickets-20260329-013005.ndjson');
    expect(exportObjectKey(job(null, 'Open tickets'))).toBe(
      'exports/t1/j1/2/open-tickets-20260329-013005.csv',
    );
    expect(exportAttemptPrefix({ tenantId: 't1', id: 'j1', attempts: 3 })).toBe('exports/t1/j1/3/');
  });

  it.each([
    ['report', true],
    ['Q3 report_v2.final-1', true],
    ['x'.repeat(100), true],
    ['x'.repeat(101), false],
    ['.hidden', false],
    ['../etc/passwd', false],
    ['a/b', false],
    ['', false],
    ['émoji', false],
  ])('file name %j allowed: %s', (name, allowed) => {
    expect(FILE_NAME_PATTERN.test(name)).toBe(allowed);
  });
});
