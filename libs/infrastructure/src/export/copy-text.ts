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
export function unescapeCopyCell(cell: string): string {
  if (cell === '\\N') return '';
  return cell.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}

/**
 * The rows of COPY text (every row ends with `\n`, cells with tab), each an array of unescaped cells. `backslash` is
 * always the next `\` at or after `pos` (or -1): only cells holding one are unescaped.
 */
export function splitCopyRows(text: string): string[][] {
  const rows: string[][] = [];
  let backslash = text.indexOf('\\');
  for (let pos = 0; pos < text.length;) {
    const end = text.indexOf('\n', pos);
    const row: string[] = [];
    for (;;) {
      const tab = text.indexOf('\t', pos);
      const cellEnd = tab === -1 || tab > end ? end : tab;
      let cell = text.slice(pos, cellEnd);
      if (backslash !== -1 && backslash < cellEnd) {
        cell = unescapeCopyCell(cell);
        backslash = text.indexOf('\\', cellEnd);
      }
      row.push(cell);
      pos = cellEnd + 1;
      if (cellEnd === end) break;
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Whole rows of `COPY ... TO STDOUT` text output, as Postgres wrote them: every row ends with `\n`, cells are
 * split by tab, and both are backslash-escaped inside values, so rows and cells can be found without quote state.
 */
export class CopyTextBatch {
  constructor(
    readonly text: string,
    readonly rowCount: number,
  ) {}
}

/**
 * Cuts the bytes of a COPY text stream into CopyTextBatch objects at row boundaries: the whole rows of each chunk
 * received (a row split across chunks waits for its end), at most `maxRows` rows a batch (EXPORT_BATCH_SIZE).
 * Counts the rows that went through.
 */
export class CopyTextBatches extends Transform {
  private carry: Buffer | null = null;
  private count = 0;

  constructor(private readonly maxRows: number) {
    super({ readableObjectMode: true, readableHighWaterMark: 2 });
    if (!Number.isSafeInteger(maxRows) || maxRows < 1)
      throw new RangeError('maxRows must be a positive integer');
  }

  get rowsRead(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE) + 1;
    // A newline byte never occurs inside a multi-byte UTF-8 character, so cutting after one is safe.
    this.carry = end < data.length ? Buffer.from(data.subarray(end)) : null;
    if (end > 0) this.pushRows(data, end);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // COPY ends every row with a newline: bytes left over mean the stream was cut short.
    if (this.carry) callback(new Error('the COPY stream ended in the middle of a row'));
    else callback();
  }

  private pushRows(data: Buffer, end: number): void {
    let start = 0;
    let rows = 0;
    for (let at = data.indexOf(NEWLINE); at !== -1 && at < end; at = data.indexOf(NEWLINE, at + 1)) {
      if (++rows < this.maxRows) continue;
      this.pushBatch(data, start, at + 1, rows);
      start = at + 1;
      rows = 0;
    }
    if (rows > 0) this.pushBatch(data, start, end, rows);
  }

  private pushBatch(data: Buffer, start: number, end: number, rows: number): void {
    this.count += rows;
    this.push(new CopyTextBatch(data.toString('utf8', start, end), rows));
  }
}
