import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWhen } from './describe-when';

/**
 * poppler-utils (pdftotext, pdfinfo, pdffonts) read the PDF exports back, independently of the code that wrote
 * them. scripts/services.sh installs them on Debian as root; elsewhere the specs that need them are skipped, saying
 * so on the console.
 */
export const POPPLER = ['pdftotext', 'pdfinfo', 'pdffonts'].every(
  (tool) => spawnSync(tool, ['-v'], { stdio: 'ignore' }).error === undefined,
);

/** The PDF specs' `describe`: skipped, saying so, where poppler is missing. */
export function describeWithPoppler(name: string, body: () => void): void {
  describeWhen(POPPLER, 'poppler-utils (pdftotext, pdfinfo, pdffonts) are not installed', name, body);
}

function withFile<T>(bytes: Buffer, read: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-read-'));
  try {
    const file = join(dir, 'file.pdf');
    writeFileSync(file, bytes);
    return read(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text with its layout (`pdftotext -layout`): a table row stays on one line. */
export const pdfText = (bytes: Buffer): string =>
  withFile(bytes, (file) =>
    execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }),
  );

/** `pdfinfo`: page count and page size in points. */
export function pdfInfo(bytes: Buffer): { pages: number; width: number; height: number } {
  const info = withFile(bytes, (file) => execFileSync('pdfinfo', [file], { encoding: 'utf8' }));
  const pages = /^Pages:\s+(\d+)/m.exec(info);
  const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info);
  if (!pages || !size) throw new Error(`pdfinfo said:\n${info}`);
  return { pages: Number(pages[1]), width: Number(size[1]), height: Number(size[2]) };
}

/** `pdffonts`: each font's base name (subset tag removed) and whether it is embedded with a ToUnicode map. */
export function pdfFonts(bytes: Buffer): { name: string; embedded: boolean; unicode: boolean }[] {
  const table = withFile(bytes, (file) => execFileSync('pdffonts', [file], { encoding: 'utf8' }));
  return table
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.trim().split(/\s+/);
      // name type... encoding emb sub uni object-id generation
      const [emb, , uni] = cells.slice(-5, -2);
      return { name: cells[0].replace(/^[A-Z]{6}\+/, ''), embedded: emb === 'yes', unicode: uni === 'yes' };
    });
}

/**
 * Text compared without whitespace, bidi marks (pdftotext wraps right-to-left runs in U+202B ... U+202C) and the
 * zero-width characters (U+200B, the BOM), which draw nothing and which pdftotext leaves out.
 */
export const squeezed = (text: string): string =>
  text.replace(/[\s\u200b-\u200f\u202a-\u202e\u2060\ufeff]/g, '');
