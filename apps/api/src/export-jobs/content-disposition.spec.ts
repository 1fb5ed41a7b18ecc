import { attachmentDisposition } from './content-disposition';

describe('attachmentDisposition', () => {
  it.each([
    [
      'open-tickets-20260302-100000.csv',
      'open-tickets-20260302-100000.csv',
      'open-tickets-20260302-100000.csv',
    ],
    [
      'weekly report-20260302-100000.csv',
      'weekly report-20260302-100000.csv',
      'weekly%20report-20260302-100000.csv',
    ],
    ['Café crème.csv', 'Cafe creme.csv', 'Caf%C3%A9%20cr%C3%A8me.csv'],
    ['票务 (1).json', '__ (1).json', '%E7%A5%A8%E5%8A%A1%20%281%29.json'],
    ['say "hi" \\ 100%.csv', 'say _hi_ _ 100_.csv', 'say%20%22hi%22%20%5C%20100%25.csv'],
    ["it's*.csv", "it's*.csv", 'it%27s%2A.csv'],
  ])('%s', (name, ascii, encoded) => {
    expect(attachmentDisposition(name)).toBe(`attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`);
  });

  it('never leaves the quoted fallback empty', () => {
    expect(attachmentDisposition('')).toBe(`attachment; filename="export"; filename*=UTF-8''`);
  });
});
