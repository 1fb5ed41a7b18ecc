import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;
const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Undoes COPY's text-format escaping of one cell (`\N` is NULL, shown as an empty cell). */
function unescapeCell(cell: string): string {
  if (cell === '\\N') return '';
  return cell.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}

/**
 * Parses the output of `COPY (...) TO STDOUT` (text format) into rows of cells, pushed as one batch
 * (`string[][]`) per chunk received. Rows end with `\n` and cells are split by tab; both are escaped inside values,
 * so splitting needs no quote state. The work per row is a split and, only for cells holding a backslash, an
 * unescape: Postgres did all the formatting.
 */
export class CopyTextRows extends Transform {
  private carry: Buffer | null = null;
  private count = 0;

  constructor() {
    super({ readableObjectMode: true, readableHighWaterMark: 2 });
  }

  get rowsRead(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE);
    if (end < 0) {
      this.carry = data;
      return callback();
    }
    // A newline byte never occurs inside a multi-byte UTF-8 character, so decoding up to it is safe.
    this.carry = end + 1 < data.length ? Buffer.from(data.subarray(end + 1)) : null;
    this.pushLines(data.toString('utf8', 0, end));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.carry && this.carry.length > 0) this.pushLines(this.carry.toString('utf8'));
    this.carry = null;
    callback();
  }

  private pushLines(text: string): void {
    const batch: string[][] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      const line = newline < 0 ? text.slice(start) : text.slice(start, newline);
      const cells = line.split('\t');
      for (let i = 0; i < cells.length; i++) if (cells[i].includes('\\')) cells[i] = unescapeCell(cells[i]);
      batch.push(cells);
      if (newline < 0) break;
      start = newline + 1;
    }
    this.count += batch.length;
    this.push(batch);
  }
}
