import { Duplex, PassThrough, type Readable } from 'node:stream';
import { FORMULA_TRIGGERS, type ExportColumn, type TicketFieldType } from '@app/domain';
import { ZipFile } from 'yazl';
import { type CopyTextBatch, splitCopyRows } from '../copy-text';
import {
  CELL_STYLE,
  contentTypesXml,
  packageRelsXml,
  type SheetPart,
  sheetHeadXml,
  sheetPath,
  sheetTailXml,
  stylesXml,
  workbookRelsXml,
  workbookXml,
} from './ooxml-parts';
import { columnLetters, escapeCellText, needsSpacePreserve } from './ooxml-text';

export interface XlsxLayout {
  /** Rows of one sheet, the header included: 1,048,576 in Excel, lowered by tests (EXPORT_XLSX_SHEET_ROWS). */
  readonly sheetRows: number;
  /** The first sheet's name; the next ones are "<name> (2)", "<name> (3)", ... */
  readonly sheetName: string;
}

/** Rows of the first batch that column widths are estimated from, with the header. */
const WIDTH_SAMPLE_ROWS = 100;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
/** What a date cell shows (DATE_TIME_FORMAT): 2026-03-02 10:00:00. */
const DATE_TEXT_LENGTH = 19;
/** The header's room for the autofilter's drop-down button. */
const FILTER_BUTTON_WIDTH = 3;
/**
 * Rows a write to the sheet's stream carries: a batch's XML in slices of tens of KB rather than one string of
 * megabytes, which V8 would place in its large-object space, released only by a full GC (README: XLSX memory).
 */
const ROWS_PER_WRITE = 100;
/** Deflate level of the sheets: 6 (zlib's default) costs 20 % more time than 1 for 15 % fewer bytes (README). */
const COMPRESSION_LEVEL = 6;

/** Where the formula guard applies: text that a spreadsheet would take for a formula when edited (quotePrefix). */
const FORMULA_START = new Set(FORMULA_TRIGGERS.map((c) => c.charCodeAt(0)));

/**
 * A cell's XML from its text; `ref` is ` r="C12"`, or '' for a cell in the column after the row's previous cell.
 * OOXML makes `r` optional and places a cell without it there (ECMA-376 §18.3.1.4); Excel, LibreOffice, SheetJS,
 * openpyxl and exceljs read it so. Leaving it out where it is implied takes about a sixth of a sheet's XML, and with
 * it of the CRC and deflate work (README: XLSX exports).
 */
type CellWriter = (ref: string, value: string) => string;

function inlineString(ref: string, value: string, style: number): string {
  const space = needsSpacePreserve(value) ? ' xml:space="preserve"' : '';
  const s = style === 0 ? '' : ` s="${style}"`;
  return `<c${ref}${s} t="inlineStr"><is><t${space}>${escapeCellText(value)}</t></is></c>`;
}

function textCell(ref: string, value: string): string {
  return inlineString(ref, value, FORMULA_START.has(value.charCodeAt(0)) ? CELL_STYLE.quotePrefix : 0);
}

/**
 * How each column type's cell text from Postgres (export-projection.ts) becomes a cell: numbers as they are, dates as
 * Excel serial numbers in the job's zone with the date-time style, everything else as inline strings.
 */
const CELL_WRITERS: Readonly<Record<TicketFieldType, CellWriter>> = {
  number: (ref, value) => `<c${ref}><v>${value}</v></c>`,
  date: (ref, value) => `<c${ref} s="${CELL_STYLE.date}"><v>${value}</v></c>`,
  text: textCell,
  choice: textCell,
  tags: textCell,
};

function shownLength(type: TicketFieldType, value: string): number {
  return type === 'date' ? DATE_TEXT_LENGTH : value.length;
}

/**
 * XLSX, streamed: SpreadsheetML parts over a streaming zip (yazl: deflate runs in zlib off the main thread, and ZIP64
 * comes by itself when a sheet passes 4 GiB). Batches of COPY text in (object mode), the bytes of the .xlsx out, with
 * back-pressure: a batch is taken only once the zip has taken the previous one. Memory holds one batch and zlib's
 * window, whatever the row count. The sheets come first in the zip, the workbook and its parts last, once the
 * sheets are known.
 */
export class XlsxEncoder extends Duplex {
  private readonly zip = new ZipFile();
  /** yazl's output: a PassThrough, typed by @types/yazl as the older NodeJS.ReadableStream. */
  private readonly out = this.zip.outputStream as Readable;
  private readonly writers: readonly CellWriter[];
  private readonly letters: readonly string[];
  private readonly sheets: SheetPart[] = [];
  private sheet: PassThrough | null = null;
  /** Rows written to the current sheet, its header included. */
  private sheetRow = 0;
  private widths: number[] | null = null;

  constructor(
    private readonly columns: readonly ExportColumn[],
    private readonly layout: XlsxLayout,
  ) {
    super({ writableObjectMode: true, writableHighWaterMark: 2 });
    if (!Number.isSafeInteger(layout.sheetRows) || layout.sheetRows < 2)
      throw new RangeError('an XLSX sheet holds its header and at least one row');
    this.writers = columns.map((column) => CELL_WRITERS[column.type]);
    this.letters = columns.map((_, i) => columnLetters(i));
    const out = this.out;
    out.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) out.pause();
    });
    out.once('end', () => this.push(null));
    // Any failure of the zip (yazl reports some on the ZipFile itself) ends the file; none may go unhandled.
    out.on('error', (error: Error) => this.destroy(error));
    this.zip.on('error', (error: Error) => this.destroy(error));
  }

  override _read(): void {
    this.out.resume();
  }

  override _write(batch: CopyTextBatch, _encoding: BufferEncoding, callback: (error?: Error) => void): void {
    const rows = splitCopyRows(batch.text);
    this.widths ??= this.estimateWidths(rows);
    let xml = '';
    let pending = 0;
    let ready = true;
    for (const cells of rows) {
      if (this.sheet === null || this.sheetRow === this.layout.sheetRows) {
        if (this.sheet !== null) this.closeSheet(xml);
        xml = '';
        pending = 0;
        this.openSheet();
      }
      xml += this.rowXml(cells, ++this.sheetRow);
      if (++pending === ROWS_PER_WRITE) {
        ready = this.writeToSheet(xml);
        xml = '';
        pending = 0;
      }
    }
    if (xml !== '') ready = this.writeToSheet(xml);
    if (ready || this.sheet === null) callback();
    else this.sheet.once('drain', () => callback());
  }

  override _final(callback: (error?: Error) => void): void {
    this.widths ??= this.estimateWidths([]);
    if (this.sheet === null) this.openSheet();
    this.closeSheet('');
    const count = this.sheets.length;
    this.zip.addBuffer(Buffer.from(workbookXml(this.sheets, this.columns.length)), 'xl/workbook.xml');
    this.zip.addBuffer(Buffer.from(workbookRelsXml(count)), 'xl/_rels/workbook.xml.rels');
    this.zip.addBuffer(Buffer.from(stylesXml()), 'xl/styles.xml');
    this.zip.addBuffer(Buffer.from(packageRelsXml()), '_rels/.rels');
    this.zip.addBuffer(Buffer.from(contentTypesXml(count)), '[Content_Types].xml');
    this.zip.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.sheet?.destroy();
    this.out.destroy();
    callback(error);
  }

  private openSheet(): void {
    const index = this.sheets.length;
    const name = index === 0 ? this.layout.sheetName : `${this.layout.sheetName} (${index + 1})`;
    this.sheets.push({ name, lastRow: 1 });
    const sheet = (this.sheet = new PassThrough());
    sheet.on('error', (error) => this.destroy(error));
    // Every column has a label: only the first header cell names its column (see rowXml).
    const header = this.columns.map((column, i) =>
      inlineString(i === 0 ? ' r="A1"' : '', column.label, CELL_STYLE.header),
    );
    sheet.write(sheetHeadXml(header.join(''), this.widths ?? [], index === 0));
    this.sheetRow = 1;
    this.zip.addReadStream(sheet, sheetPath(index), { compressionLevel: COMPRESSION_LEVEL });
  }

  /** Whether the sheet takes more now (false: wait for its `drain`). */
  private writeToSheet(xml: string): boolean {
    return this.sheet === null || this.sheet.write(xml);
  }

  /** Writes the sheet's last rows and its end; the zip moves on to the next entry once it has read them. */
  private closeSheet(lastRows: string): void {
    const sheet = this.sheet;
    if (sheet === null) return;
    const part = this.sheets[this.sheets.length - 1];
    this.sheets[this.sheets.length - 1] = { ...part, lastRow: this.sheetRow };
    sheet.end(lastRows + sheetTailXml(this.columns.length, this.sheetRow));
    this.sheet = null;
  }

  private rowXml(cells: readonly string[], row: number): string {
    let xml = `<row r="${row}">`;
    /**
     * The column a cell without a reference lands in. A row's first cell names its column all the same: exceljs
     * (4.4) places a cell without `r` only after one that has it.
     */
    let implied = -1;
    for (let i = 0; i < this.writers.length; i++) {
      const value = cells[i];
      // NULL and empty text alike leave no cell (a CSV export cannot tell them apart either); the cell after such a
      // gap names its column too.
      if (value === undefined || value === '') continue;
      xml += this.writers[i](i === implied ? '' : ` r="${this.letters[i]}${row}"`, value);
      implied = i + 1;
    }
    return `${xml}</row>`;
  }

  /** From the header and the first rows: the longest text shown, within MIN_WIDTH..MAX_WIDTH characters. */
  private estimateWidths(rows: readonly (readonly string[])[]): number[] {
    const sample = rows.slice(0, WIDTH_SAMPLE_ROWS);
    return this.columns.map((column, i) => {
      let longest = column.label.length + FILTER_BUTTON_WIDTH;
      for (const cells of sample) longest = Math.max(longest, shownLength(column.type, cells[i] ?? ''));
      return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 1));
    });
  }
}
