/** Letters NFKD does not decompose, spelled the way their languages write them in ASCII. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
};

/** A surrogate without its pair: encodeURIComponent throws on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The ASCII spelling of one character: itself, its transliteration, its letters without marks, else `_`. */
function asciiOf(char: string): string {
  if (/^[\x20-\x7e]$/.test(char)) return /["\\%]/.test(char) ? '_' : char;
  const spelled = TRANSLITERATIONS[char] ?? char.normalize('NFKD').replace(/\p{M}/gu, '');
  if (spelled === '') return ''; // a combining mark on its own
  return /^[\x20-\x7e]+$/.test(spelled) && !/["\\%]/.test(spelled) ? spelled : '_';
}

/**
 * The quoted `filename` for clients that do not read `filename*`. Per character: printable ASCII stays, except
 * `"`, `\` and `%` (some clients unescape them); a letter with diacritics loses them (`é` -> `e`, `ß` -> `ss`);
 * anything else (CJK, emoji, control characters) becomes one `_`. `export` when nothing is left.
 */
export function asciiFileName(fileName: string): string {
  const ascii = Array.from(fileName.normalize('NFC'), asciiOf).join('');
  return ascii === '' ? 'export' : ascii;
}

/**
 * `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266, RFC 8187 / 5987), the
 * one builder for the download response and the metadata stored with the object. The extended value carries the
 * exact name: UTF-8, percent-encoded except RFC 8187's attr-chars (`'()*` are encoded too).
 */
export function attachmentDisposition(fileName: string): string {
  const encoded = encodeURIComponent(fileName.replace(LONE_SURROGATE, '\uFFFD')).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${asciiFileName(fileName)}"; filename*=UTF-8''${encoded}`;
}
