import { type Duplex, Transform, type TransformCallback } from 'node:stream';
import type { ExportColumn, ExportFormat } from '@app/domain';
import { type CsvFormatterStream, format as csvFormat } from 'fast-csv';
import { type PdfPageSize, XLSX_MAX_SHEET_ROWS } from '../config/app-config';
import { type CopyTextBatch, splitCopyRows, unescapeCopyCell } from './copy-text';
import { XlsxEncoder, type XlsxLayout } from './xlsx/xlsx-encoder';
import type { PdfDocumentInfo } from './pdf/pdf-table-encoder';

/** CONTRACT §6: UTF-8 with BOM, RFC 4180 quoting, CRLF after every row (the last one included). */
const CSV_OPTIONS = {
  headers: false,
  delimiter: ',',
  rowDelimiter: '\r\n',
  quote: '"',
  escape: '"',
  writeBOM: true,
  includeEndRowDelimiter: true,
} as const;

/** Batches of COPY text in (object mode), whatever a subclass makes of one batch's text out. */
abstract class CopyTextTransform extends Transform {
  protected abstract encode(text: string): void;

  override _transform(batch: CopyTextBatch, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.encode(batch.text);
    callback();
  }
}

/** Splits each batch into rows of unescaped cells (rows end with `\n`, cells with tab), one row array a chunk. */
class CopyTextRows extends CopyTextTransform {
  constructor() {
    super({ objectMode: true, writableHighWaterMark: 2 });
  }

  protected encode(text: string): void {
    for (const row of splitCopyRows(text)) this.push(row);
  }
}

/** The least a chunk the CSV encoder hands on holds (but the last): see CsvEncoder. */
const CSV_CHUNK_BYTES = 64 * 1024;

/**
 * CSV: fast-csv writes the file through its public stream API (BOM, the header of labels, then one row per row
 * array), inside this one stage. Each batch's rows are written straight into a CsvFormatterStream whose output is
 * collected as it comes and handed on joined into chunks of at least 64 KiB. The former three stages (rows out of
 * a Transform, piped into fast-csv, piped into a joiner) paid two stream hops and their queues for every row; at
 * 980k rows they also grew the worker's peak RSS by 26 MB against 98k (see Benchmark in the README).
 */
class CsvEncoder extends Transform {
  private readonly csv: CsvFormatterStream<string[], string[]>;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(columns: readonly ExportColumn[]) {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
    this.csv = csvFormat<string[], string[]>(CSV_OPTIONS);
    // fast-csv emits one Buffer per row; in flowing mode, synchronously within write() once it is under way.
    this.csv.on('data', (chunk: Buffer) => {
      this.parts.push(chunk);
      this.size += chunk.length;
    });
    this.csv.on('error', (error) => this.destroy(error));
    this.csv.write(columns.map((column) => column.label));
  }

  override _transform(batch: CopyTextBatch, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const row of splitCopyRows(batch.text)) this.csv.write(row);
    if (this.size >= CSV_CHUNK_BYTES) this.pushJoined();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.csv.once('end', () => {
      this.pushJoined();
      callback();
    });
    this.csv.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.csv.destroy();
    callback(error);
  }

  private pushJoined(): void {
    if (this.size === 0) return;
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
  }
}

/**
 * COPY's escapes never span a row's end, so they are undone on a batch's whole text at once. A raw `\n` in COPY text
 * only ends a row (newlines inside values are escaped, and Postgres's JSON has none anyway).
 */
const unescapeRows = (text: string): string => (text.includes('\\') ? unescapeCopyCell(text) : text);

/** Rows already hold their JSON object text (from Postgres); these only join them. */
class JsonArrayEncoder extends CopyTextTransform {
  private first = true;

  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
  }

  protected encode(text: string): void {
    if (text.length === 0) return;
    const rows = unescapeRows(text.slice(0, -1).replaceAll('\n', ',\n'));
    const opening = this.first ? '[\n' : ',\n';
    this.first = false;
    this.push(opening + rows);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.first ? '[]\n' : '\n]\n');
  }
}

class NdjsonEncoder extends CopyTextTransform {
  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
  }

  protected encode(text: string): void {
    this.push(unescapeRows(text));
  }
}

/** Options of the formats that have any. */
export interface FileEncoderOptions {
  readonly xlsx: XlsxLayout;
  /** EXPORT_PDF_PAGE_SIZE. */
  readonly pdf: { readonly pageSize: PdfPageSize };
}

/** Excel's most rows a sheet, and the sheet's name (CONTRACT §9). */
export const DEFAULT_FILE_ENCODER_OPTIONS: FileEncoderOptions = {
  xlsx: { sheetRows: XLSX_MAX_SHEET_ROWS, sheetName: 'Tickets' },
  pdf: { pageSize: 'a4' },
};

let pdfRenderer: typeof import('./pdf/pdf-table-encoder') | null = null;

/**
 * Loads what the encoder of `format` needs beyond this module, once per process: for PDF, pdfkit, fontkit and the
 * fonts (about 40 MB of RSS), which a process that never writes a PDF does without. Await it before fileEncoder.
 */
export async function loadFileEncoder(format: ExportFormat): Promise<void> {
  if (format === 'pdf') pdfRenderer ??= await import('./pdf/pdf-table-encoder');
}

/**
 * The stages, in pipeline order, that turn CopyTextBatch objects into the bytes of a file of `format` (for PDF, after
 * loadFileEncoder('pdf')).
 */
export function fileEncoder(
  format: ExportFormat,
  columns: readonly ExportColumn[],
  options: FileEncoderOptions = DEFAULT_FILE_ENCODER_OPTIONS,
  /** The title block of a PDF file (its page size comes from `options`). */
  pdf?: Omit<PdfDocumentInfo, 'pageSize'>,
): [Duplex, ...Duplex[]] {
  switch (format) {
    case 'csv':
      return [new CsvEncoder(columns)];
    case 'json':
      return [new JsonArrayEncoder()];
    case 'ndjson':
      return [new NdjsonEncoder()];
    case 'xlsx':
      return [new XlsxEncoder(columns, options.xlsx)];
    case 'pdf':
      if (!pdf) throw new Error('a PDF file needs its title block (PdfDocumentInfo)');
      if (!pdfRenderer) throw new Error('loadFileEncoder("pdf") must have resolved first');
      return [
        new CopyTextRows(),
        new pdfRenderer.PdfTableEncoder(columns, { ...pdf, pageSize: options.pdf.pageSize }),
      ];
  }
}
