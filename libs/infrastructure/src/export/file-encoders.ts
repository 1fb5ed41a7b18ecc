import { Transform, type TransformCallback } from 'node:stream';
import { ExportFileEncoder, type RowBatch } from '@app/application';
import type { ExportFormat, TicketColumn } from '@app/domain';
import { FormatterOptions } from '@fast-csv/format';
import { FieldFormatter } from '@fast-csv/format/build/src/formatter';
import { CopyTextBatch, unescapeCopyCell } from './copy-text';

const CSV = new FormatterOptions<string[], string[]>({
  headers: false,
  delimiter: ',',
  rowDelimiter: '\r\n',
  quote: '"',
  escape: '"',
  writeBOM: true,
});

/** Batches of COPY text in, bytes out: a subclass says what one batch's text becomes. */
abstract class CopyTextEncoder extends Transform {
  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
  }

  protected abstract encode(text: string): string;

  override _transform(batch: RowBatch, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(batch instanceof CopyTextBatch))
      return callback(new TypeError('the file encoders read the batches of the COPY reader'));
    callback(null, this.encode(batch.text));
  }
}

/**
 * CSV (CONTRACT §6): UTF-8 with BOM, a header of labels, RFC 4180 quoting, CRLF after every row. fast-csv's field
 * formatter quotes and escapes every cell; the rows are assembled here in one pass over the COPY text, without the
 * arrays a split would make and the per-row arrays and callbacks of fast-csv's row formatter.
 */
class CsvBatchEncoder extends CopyTextEncoder {
  private readonly cells = new FieldFormatter<string[], string[]>(CSV);

  constructor(columns: readonly TicketColumn[]) {
    super();
    const header = columns.map((column, i) => this.cells.format(column.label, i, true));
    this.push(`${CSV.BOM}${header.join(CSV.delimiter)}${CSV.rowDelimiter}`);
  }

  /** Rows end with `\n` and cells with tab; `backslash` is always the next `\` at or after `pos` (or -1). */
  protected encode(text: string): string {
    let out = '';
    let backslash = text.indexOf('\\');
    for (let pos = 0; pos < text.length;) {
      const end = text.indexOf('\n', pos);
      for (let column = 0; ; column++) {
        const tab = text.indexOf('\t', pos);
        const cellEnd = tab === -1 || tab > end ? end : tab;
        let cell = text.slice(pos, cellEnd);
        if (backslash !== -1 && backslash < cellEnd) {
          cell = unescapeCopyCell(cell);
          backslash = text.indexOf('\\', cellEnd);
        }
        out +=
          column === 0 ? this.cells.format(cell, 0, false) : `,${this.cells.format(cell, column, false)}`;
        pos = cellEnd + 1;
        if (cellEnd === end) break;
      }
      out += CSV.rowDelimiter;
    }
    return out;
  }
}

/**
 * COPY's escapes never span a row's end, so they are undone on a batch's whole text at once. A raw `\n` in COPY text
 * only ends a row (newlines inside values are escaped, and Postgres's JSON has none anyway).
 */
const unescapeRows = (text: string): string => (text.includes('\\') ? unescapeCopyCell(text) : text);

/** Rows already hold their JSON object text (from Postgres); these only join them. */
class JsonArrayEncoder extends CopyTextEncoder {
  private first = true;

  protected encode(text: string): string {
    if (text.length === 0) return '';
    const rows = unescapeRows(text.slice(0, -1).replaceAll('\n', ',\n'));
    const opening = this.first ? '[\n' : ',\n';
    this.first = false;
    return opening + rows;
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.first ? '[]\n' : '\n]\n');
  }
}

class NdjsonEncoder extends CopyTextEncoder {
  protected encode(text: string): string {
    return unescapeRows(text);
  }
}

export class StreamingFileEncoder extends ExportFileEncoder {
  create(format: ExportFormat, columns: readonly TicketColumn[]): Transform {
    switch (format) {
      case 'csv':
        return new CsvBatchEncoder(columns);
      case 'json':
        return new JsonArrayEncoder();
      case 'ndjson':
        return new NdjsonEncoder();
    }
  }
}
