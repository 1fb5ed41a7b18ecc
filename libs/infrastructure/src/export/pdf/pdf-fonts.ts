import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';

/**
 * The fonts a PDF export embeds (subset to the glyphs it uses), all from registry packages, none from the system:
 * - DejaVu Sans Condensed (dejavu-fonts-ttf, 0.7 MB a face): Latin, Cyrillic, Greek, Hebrew, Arabic (with its
 *   contextual forms), and many symbols;
 * - Noto Sans SC (@expo-google-fonts/noto-sans-sc, 10.6 MB for the one face read here; the package holds 9 weights,
 *   92 MB on disk): Chinese (simplified and most traditional hanzi), Japanese kana and kanji, CJK punctuation;
 * - Noto Sans KR (@expo-google-fonts/noto-sans-kr, 6.2 MB for the one face read; the package 55 MB): Korean Hangul
 *   syllables and jamo;
 * - Noto Emoji (@expo-google-fonts/noto-emoji, 0.9 MB a face, 4.5 MB the package): monochrome emoji, ZWJ
 *   sequences included.
 * Each character goes to the first of them that has a glyph for it (fontFor): no script falls to tofu, save those
 * none covers (Indic scripts, Thai...), which draw as the .notdef box. README lists them.
 */
export type PdfFontName = 'text' | 'bold' | 'cjk' | 'korean' | 'emoji';

const FONT_FILES: Readonly<Record<PdfFontName, string>> = {
  text: 'dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSansCondensed-Bold.ttf',
  cjk: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  korean: '@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf',
  emoji: '@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf',
};

export interface PdfFont {
  readonly name: PdfFontName;
  readonly data: Buffer;
  readonly has: (codePoint: number) => boolean;
}

let loaded: Readonly<Record<PdfFontName, PdfFont>> | null = null;

/** Read once per process (19 MB), then shared by every export: pdfkit parses its own copy of the bytes per file. */
export function pdfFonts(): Readonly<Record<PdfFontName, PdfFont>> {
  if (loaded) return loaded;
  const load = (name: PdfFontName): PdfFont => {
    const data = readFileSync(require.resolve(FONT_FILES[name]));
    const font = fontkit.create(data);
    if (!('hasGlyphForCodePoint' in font)) throw new Error(`${FONT_FILES[name]} is a font collection`);
    return { name, data, has: (codePoint) => font.hasGlyphForCodePoint(codePoint) };
  };
  loaded = {
    text: load('text'),
    bold: load('bold'),
    cjk: load('cjk'),
    korean: load('korean'),
    emoji: load('emoji'),
  };
  return loaded;
}

/** Code point ranges of characters that draw nothing (zero-width, bidi controls, BOM, variation selectors). */
const INVISIBLE: readonly (readonly [number, number])[] = [
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2069],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/**
 * The font to draw `char` with, the base font (regular or bold) first: null when no font has a glyph for it.
 * Invisible format characters stay with the run they are in.
 */
export function fontFor(char: string, base: 'text' | 'bold'): PdfFontName | null {
  const fonts = pdfFonts();
  const codePoint = char.codePointAt(0) ?? 0;
  if (fonts[base].has(codePoint)) return base;
  if (fonts.cjk.has(codePoint)) return 'cjk';
  if (fonts.korean.has(codePoint)) return 'korean';
  if (fonts.emoji.has(codePoint)) return 'emoji';
  return null;
}

/** Invisible characters never decide a font, so they never split a run. */
export function isInvisible(char: string): boolean {
  const codePoint = char.codePointAt(0) ?? 0;
  return INVISIBLE.some(([from, to]) => codePoint >= from && codePoint <= to);
}
