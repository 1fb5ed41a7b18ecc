import { asciiFileName, attachmentDisposition } from './content-disposition';

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
    ['été.csv', 'ete.csv', '%C3%A9t%C3%A9.csv'],
    ['Café crème.csv', 'Cafe creme.csv', 'Caf%C3%A9%20cr%C3%A8me.csv'],
    ['rapport "été" (1).csv', 'rapport _ete_ (1).csv', 'rapport%20%22%C3%A9t%C3%A9%22%20%281%29.csv'],
    ['Straße Øre Łódź.csv', 'Strasse Ore Lodz.csv', 'Stra%C3%9Fe%20%C3%98re%20%C5%81%C3%B3d%C5%BA.csv'],
    ['票务 (1).json', '__ (1).json', '%E7%A5%A8%E5%8A%A1%20%281%29.json'],
    ['티켓.csv', '__.csv', '%ED%8B%B0%EC%BC%93.csv'],
    ['report 📊.csv', 'report _.csv', 'report%20%F0%9F%93%8A.csv'],
    ['say "hi" \\ 100%.csv', 'say _hi_ _ 100_.csv', 'say%20%22hi%22%20%5C%20100%25.csv'],
    ["it's*.csv", "it's*.csv", 'it%27s%2A.csv'],
    ['bell\u0007tab\tdel\u007f.csv', 'bell_tab_del_.csv', 'bell%07tab%09del%7F.csv'],
    ['line\r\nbreak.csv', 'line__break.csv', 'line%0D%0Abreak.csv'],
    ['e\u0301te\u0301.csv', 'ete.csv', 'e%CC%81te%CC%81.csv'],
  ])('%j', (name, ascii, encoded) => {
    expect(attachmentDisposition(name)).toBe(`attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`);
  });

  it('never leaves the quoted fallback empty', () => {
    expect(attachmentDisposition('')).toBe(`attachment; filename="export"; filename*=UTF-8''`);
  });

  it('encodes a lone surrogate as U+FFFD instead of throwing', () => {
    expect(attachmentDisposition('x\uD800.csv')).toBe(
      `attachment; filename="x_.csv"; filename*=UTF-8''x%EF%BF%BD.csv`,
    );
  });

  it('keeps the header value printable ASCII whatever the name', () => {
    const names = ['\u0000\u001f', '👩‍👩‍👧 family.csv', 'ｆｕｌｌｗｉｄｔｈ.csv', '½ ﬁle.csv', '"\\"'];
    for (const name of names) expect(attachmentDisposition(name)).toMatch(/^[\x20-\x7e]+$/);
    expect(asciiFileName('ｆｕｌｌｗｉｄｔｈ ﬁle.csv')).toBe('fullwidth file.csv');
  });

  it('round-trips the exact name through filename*', () => {
    const name = 'Überfällige Tickets — März "Q1" 100% 票务 📊.csv';
    const extended = /filename\*=UTF-8''(.*)$/.exec(attachmentDisposition(name));
    expect(decodeURIComponent(extended?.[1] ?? '')).toBe(name);
  });
});
