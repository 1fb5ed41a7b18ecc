import { Transform, type TransformCallback } from 'node:stream';
import { ExportFileEncoder } from '@app/application';
import type { ExportFormat, TicketColumn } from '@app/domain';
import { format as csvFormat } from 'fast-csv';

/** CSV (CONTRACT §6): UTF-8 with BOM, a header of labels, RFC 4180 quoting, CRLF after every row. */
function csvEncoder(columns: readonly TicketColumn[]): Transform {
  const csv = csvFormat<string[], string[]>({
    writeBOM: true,
    rowDelimiter: '\r\n',
    includeEndRowDelimiter: true,
    quote: '"',
    escape: '"',
  });
  csv.write(columns.map((c) => c.label));
  return csv;
}

/** Rows already hold their JSON object text (from Postgres); these only join them. */
class JsonArrayEncoder extends Transform {
  private first = true;

  constructor() {
    super({ writableObjectMode: true });
  }

  override _transform(row: string[], _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, `${this.first ? '[\n' : ',\n'}${row[0]}`);
    this.first = false;
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.first ? '[]\n' : '\n]\n');
  }
}

class NdjsonEncoder extends Transform {
  constructor() {
    super({ writableObjectMode: true });
  }

  override _transform(row: string[], _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, `${row[0]}\n`);
  }
}

export class StreamingFileEncoder extends ExportFileEncoder {
  create(format: ExportFormat, columns: readonly TicketColumn[]): Transform {
    switch (format) {
      case 'csv':
        return csvEncoder(columns);
      case 'json':
        return new JsonArrayEncoder();
      case 'ndjson':
        return new NdjsonEncoder();
    }
  }
}
