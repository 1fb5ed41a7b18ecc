import bidiFactory from 'bidi-js';
import { fontFor, isInvisible, type PdfFontName } from './pdf-fonts';

/** The width of `text` drawn in `font` at the table's size, in points. */
export type MeasureText = (text: string, font: PdfFontName) => number;

/** A piece of one line, in one font and one direction, in the order it is drawn from left to right. */
export interface TextRun {
  readonly text: string;
  readonly font: PdfFontName;
  readonly width: number;
}

const bidi = bidiFactory();

/** C0 and C1 control characters (tab among them): no font draws them. */
function isControl(char: string): boolean {
  const codePoint = char.codePointAt(0) ?? 0;
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

/** A cell's text as paragraphs: CR LF and lone CR end a paragraph like LF; tabs and other controls become spaces. */
export function paragraphsOf(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((paragraph) => Array.from(paragraph, (char) => (isControl(char) ? ' ' : char)).join(''));
}

/** Font runs in logical order: each character in the first font that has it (invisible ones join their run). */
function fontRuns(text: string, base: 'text' | 'bold'): { text: string; font: PdfFontName }[] {
  const runs: { text: string; font: PdfFontName }[] = [];
  for (const char of text) {
    const last = runs.at(-1);
    const font = last && isInvisible(char) ? last.font : (fontFor(char, base) ?? base);
    if (last && last.font === font) last.text += char;
    else runs.push({ text: char, font });
  }
  return runs;
}

const widthOf = (text: string, base: 'text' | 'bold', measure: MeasureText): number =>
  fontRuns(text, base).reduce((sum, run) => sum + measure(run.text, run.font), 0);

/**
 * Break opportunities: runs of spaces, words, and every CJK ideograph or kana alone (CJK text has no spaces, and
 * may break between any two of them).
 */
const TOKENS =
  /\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+/gu;

/**
 * `text` wrapped into lines no wider than `width`, in logical (reading) order: at spaces and between CJK
 * characters, and inside a word only when the word alone is wider than the line.
 */
export function wrapText(text: string, width: number, base: 'text' | 'bold', measure: MeasureText): string[] {
  const lines: string[] = [];
  for (const paragraph of paragraphsOf(text)) {
    let line = '';
    let lineWidth = 0;
    const flush = (): void => {
      lines.push(line.trimEnd());
      line = '';
      lineWidth = 0;
    };
    for (const token of paragraph.match(TOKENS) ?? []) {
      const blank = token.trim() === '';
      if (blank && line === '') continue;
      const tokenWidth = widthOf(token, base, measure);
      if (lineWidth + tokenWidth <= width) {
        line += token;
        lineWidth += tokenWidth;
        continue;
      }
      if (blank) {
        flush();
        continue;
      }
      if (line !== '' && tokenWidth <= width) flush();
      if (tokenWidth <= width) {
        line = token;
        lineWidth = tokenWidth;
        continue;
      }
      for (const char of token) {
        const charWidth = widthOf(char, base, measure);
        if (line !== '' && lineWidth + charWidth > width) flush();
        line += char;
        lineWidth += charWidth;
      }
    }
    flush();
  }
  return lines;
}

/** A strong right-to-left letter: a run holding one is reversed (and shaped) by the font engine itself. */
const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}]/u;

/**
 * One line in visual order, cut into runs of one font and one direction. The Unicode bidi algorithm (bidi-js)
 * orders the runs. fontkit reverses (and, for Arabic, joins) the letters of a right-to-left word when it lays it
 * out, and pdfkit lays text out word by word: so a right-to-left run of Hebrew or Arabic is handed over as its
 * words, each in reading order, the words in visual order. Other right-to-left runs (neutrals between RTL words)
 * are reversed here.
 */
export function visualRuns(line: string, base: 'text' | 'bold', measure: MeasureText): TextRun[] {
  if (line === '') return [];
  const levels = bidi.getEmbeddingLevels(line);
  const order = Array.from({ length: line.length }, (_, i) => i);
  for (const [start, end] of bidi.getReorderSegments(line, levels)) {
    const reversed = order.slice(start, end + 1).reverse();
    order.splice(start, reversed.length, ...reversed);
  }
  // The font of each UTF-16 unit (both halves of a surrogate pair alike).
  const fontAt: PdfFontName[] = [];
  for (const run of fontRuns(line, base))
    for (let unit = 0; unit < run.text.length; unit++) fontAt.push(run.font);
  const runs: { start: number; end: number; rtl: boolean; font: PdfFontName }[] = [];
  for (const index of order) {
    const rtl = (levels.levels[index] & 1) === 1;
    const font = fontAt[index];
    const last = runs.at(-1);
    if (last && last.rtl === rtl && last.font === font && index === (rtl ? last.start - 1 : last.end + 1)) {
      if (rtl) last.start = index;
      else last.end = index;
    } else runs.push({ start: index, end: index, rtl, font });
  }
  return runs.flatMap(({ start, end, rtl, font }) => {
    const logical = line.slice(start, end + 1);
    const pieces = !rtl
      ? [logical]
      : RTL_LETTER.test(logical)
        ? logical
            .split(/(\s+)/)
            .filter((piece) => piece !== '')
            .reverse()
        : [Array.from(logical).reverse().join('')];
    return pieces.map((text) => ({ text, font, width: measure(text, font) }));
  });
}
