import { nastyStrings } from '../../seed/nasty-strings';
import { fontFor, isInvisible } from './pdf-fonts';
import { type MeasureText, paragraphsOf, visualRuns, wrapText } from './pdf-text';

/** Every character 1 pt wide, whatever its font: widths become character counts. */
const oneEach: MeasureText = (text) => Array.from(text).length;

/** One sample per script the README claims. */
const SCRIPTS: Readonly<Record<string, string>> = {
  Latin: 'Ünïcödé café façade œuvre ß',
  Cyrillic: 'Кириллица: вход не работает ёЁ',
  Greek: 'Ελληνικά: η εξαγωγή αποτυγχάνει',
  Hebrew: 'עברית: ההזמנה לא נשלחה',
  Arabic: 'العربية: الطلب لم يصل',
  Chinese: '中文：票务导出失败，請稍後再試',
  Japanese: '日本語：エクスポートに失敗しました',
  Korean: '한국어: 내보내기에 실패했습니다',
  Emoji: '🎫🚀 👩‍💻',
};

describe('PDF fonts', () => {
  it.each(Object.entries(SCRIPTS))(
    'has a real glyph (no .notdef) for every character of %s',
    (_script, text) => {
      const missing = Array.from(text).filter((char) => !isInvisible(char) && fontFor(char, 'text') === null);
      expect(missing).toEqual([]);
    },
  );

  it('has a real glyph for every visible character of the nasty strings', () => {
    const visible = (char: string): boolean => !isInvisible(char) && char.trim() !== '';
    const missing = nastyStrings()
      .flatMap((s) => Array.from(s))
      .filter((char) => visible(char) && fontFor(char, 'text') === null);
    expect(missing).toEqual([]);
  });

  it('draws Latin, Cyrillic, Greek, Hebrew and Arabic with DejaVu, hanzi and kana with Noto Sans SC, Hangul with Noto Sans KR', () => {
    expect(['A', 'Ж', 'Ω', 'ש', 'م'].map((c) => fontFor(c, 'text'))).toEqual([
      'text',
      'text',
      'text',
      'text',
      'text',
    ]);
    expect(['A', 'Ж'].map((c) => fontFor(c, 'bold'))).toEqual(['bold', 'bold']);
    expect(['中', 'あ', 'ア'].map((c) => fontFor(c, 'text'))).toEqual(['cjk', 'cjk', 'cjk']);
    expect(fontFor('🚀', 'text')).toBe('emoji');
    expect(['한', '글'].map((c) => fontFor(c, 'text'))).toEqual(['korean', 'korean']);
    // Not covered (README): Devanagari and Thai draw as .notdef.
    expect(['क', 'ก'].map((c) => fontFor(c, 'text'))).toEqual([null, null]);
  });
});

describe('wrapText', () => {
  it('breaks at spaces, never past the width', () => {
    const lines = wrapText('the quick brown fox jumps over the lazy dog', 10, 'text', oneEach);
    expect(lines).toEqual(['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
    expect(lines.every((line) => line.length <= 10)).toBe(true);
  });

  it('cuts a word longer than the line, and breaks CJK between any two characters', () => {
    expect(wrapText('x'.repeat(25), 10, 'text', oneEach)).toEqual([
      'x'.repeat(10),
      'x'.repeat(10),
      'x'.repeat(5),
    ]);
    expect(wrapText('票务导出失败了', 3, 'text', oneEach)).toEqual(['票务导', '出失败', '了']);
  });

  it('keeps a surrogate pair whole when it cuts a word', () => {
    expect(wrapText('ab🚀cd', 3, 'text', oneEach)).toEqual(['ab🚀', 'cd']);
  });

  it('ends a line at LF, CR LF and a lone CR, and shows tabs and other controls as spaces', () => {
    expect(paragraphsOf('a\nb\r\nc\rd\te\u0007f')).toEqual(['a', 'b', 'c', 'd e f']);
    expect(wrapText('line\n\nbreak', 20, 'text', oneEach)).toEqual(['line', '', 'break']);
    expect(wrapText('', 20, 'text', oneEach)).toEqual(['']);
  });
});

describe('visualRuns', () => {
  const drawn = (line: string): string[] => visualRuns(line, 'text', oneEach).map((run) => run.text);

  it('leaves left-to-right text in one run per font', () => {
    expect(drawn('Ticket 票务 ok')).toEqual(['Ticket ', '票务', ' ok']);
  });

  it('hands a right-to-left phrase over word by word, the words in visual order, each in reading order', () => {
    // fontkit reverses (and joins) the letters of each word; the bidi algorithm orders the words.
    expect(drawn('שלום עולם')).toEqual(['עולם', ' ', 'שלום']);
    expect(drawn('RTL שלום עולם and Arabic مرحبا')).toEqual([
      'RTL ',
      'עולם',
      ' ',
      'שלום',
      ' and Arabic ',
      'مرحبا',
    ]);
  });

  it('keeps numbers inside right-to-left text left-to-right', () => {
    expect(drawn('הזמנה 123 נשלחה')).toEqual(['נשלחה', ' ', '123', ' ', 'הזמנה']);
  });

  it('measures each run', () => {
    expect(visualRuns('ab 中', 'text', oneEach).map((run) => run.width)).toEqual([3, 1]);
  });
});
