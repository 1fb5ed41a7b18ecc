import { Transform, type TransformCallback } from 'node:stream';
import { ExportFileEncoder } from '@app/application';
import type { ExportFormat, TicketColumn } from '@app/domain';
import { FormatterOptions } from '@fast-csv/format';
import { RowFormatter } from '@fast-csv/format/build/src/formatter';

/**
 * CSV (CONTRACT §6): UTF-8 with BOM, a header of labels, RFC 4180 quoting, CRLF after every row. Every cell goes
 * through fast-csv's row formatter; rows arrive in batches (one per chunk Postgres sent), and each batch leaves as
 * one buffer, so the per-row cost is fast-csv's formatting alone, not a trip through every stream stage.
 */
class CsvBatchEncoder extends Transform {
  private readonly options = new FormatterOptions<string[], string[]>({
    headers: false,
    rowDelimiter: '\r\n',
    includeEndRowDelimiter: true,
    quote: '"',
    escape: '"',
    writeBOM: true,
  });
  private readonly rows = new RowFormatter<string[], string[]>(this.options);

  constructor(columns: readonly TicketColumn[]) {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
    this.push(this.options.BOM);
    this.push(this.format([columns.map((c) => c.label)]));
  }

  override _transform(batch: string[][], _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.format(batch));
  }

  override _flush(callback: TransformCallback): void {
    // A delimiter after the last row: the file ends with CRLF.
    this.rows.finish((error, rows) => callback(error, rows?.join('')));
  }

  private format(batch: readonly string[][]): string {
    let out = '';
    for (const row of batch) {
      // With no row transform configured fast-csv formats synchronously.
      this.rows.format(row, (error, formatted) => {
        if (error) throw error;
        if (formatted) out += formatted.join('');
      });
    }
    return out;
  }
}

/** Rows already hold their JSON object text (from Postgres); these only join them. */
class JsonArrayEncoder extends Transform {
  private first = true;

  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
  }

  override _transform(batch: string[][], _encoding: BufferEncoding, callback: TransformCallback): void {
    let out = '';
    for (const row of batch) {
      out += `${this.first ? '[\n' : ',\n'}${row[0]}`;
      this.first = false;
    }
    callback(null, out);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.first ? '[]\n' : '\n]\n');
  }
}

class NdjsonEncoder extends Transform {
  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
  }

  override _transform(batch: string[][], _encoding: BufferEncoding, callback: TransformCallback): void {
    let out = '';
    for (const row of batch) out += `${row[0]}\n`;
    callback(null, out);
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
