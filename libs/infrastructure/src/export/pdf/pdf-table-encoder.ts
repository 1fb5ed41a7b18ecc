import { Transform, type TransformCallback } from 'node:stream';
import type { ExportColumn, TicketFieldType } from '@app/domain';
import { DateTime } from 'luxon';
import PDFDocument from 'pdfkit';
import type { PdfPageSize } from '../../config/app-config';
import { pdfFonts } from './pdf-fonts';
import { type MeasureText, type TextRun, visualRuns, wrapText } from './pdf-text';

/** What the title block says about the export, and how the pages are cut. */
export interface PdfDocumentInfo {
  /** The view's name, or null for an export of no saved view. */
  readonly viewName: string | null;
  /** Who requested the export (an email). */
  readonly requestedBy: string;
  readonly snapshotAt: Date;
  /** The job's IANA zone: the snapshot time and every date cell are shown in it. */
  readonly timezone: string;
  readonly totalRows: number;
  /** Filters, search and sort in one line (describeQuery). */
  readonly querySummary: string;
  readonly pageSize: PdfPageSize;
}

const MARGIN = 28;
const BODY_SIZE = 7.5;
const LINE_HEIGHT = BODY_SIZE * 1.3;
const PAD_X = 3;
const PAD_Y = 2.5;
const FOOTER_SIZE = 7;
const FOOTER_SPACE = 14;
/** The title block above the first page's table: the view's name, who and when, filters and sort. */
const TITLE_BLOCK_HEIGHT = 48;
const RULE_COLOR = '#c8c8c8';
const HEADER_FILL = '#e8e8e8';

/** Share of the table's width by column type; text columns wrap, so they get the most. */
const COLUMN_WEIGHTS: Readonly<Record<TicketFieldType, number>> = {
  number: 0.55,
  date: 1.35,
  choice: 0.8,
  tags: 1.3,
  text: 1.9,
};

/** Rows drawn between two yields to the event loop: the worker's lock renewals and cancel checks go on. */
const ROWS_PER_SLICE = 200;

/**
 * A landscape table of the rows (arrays of cell text in column order) as PDF bytes. The first page opens with a
 * title block; every page repeats the header row and ends with "page N of M". Long text wraps inside its column; a
 * row taller than a page goes on over the next pages.
 *
 * "of M" is known only once every row is laid out, so the rows are laid out (wrapped into lines) as they come and
 * kept; at the end a dry run of the pagination counts the pages, and the pages are drawn and flushed one by one.
 * Keeping the wrapped text costs about what the text weighs; keeping pdfkit's pages instead (`bufferPages`)
 * held 435 MB more at 10,000 rows. EXPORT_PDF_MAX_ROWS bounds what is kept.
 */
export class PdfTableEncoder extends Transform {
  private readonly doc: PDFKit.PDFDocument;
  private readonly widths: number[];
  private readonly headerLines: string[][];
  private readonly bottom: number;
  /** Every row so far, wrapped: its cells' lines. */
  private readonly rows: string[][][] = [];
  private ended: TransformCallback | null = null;

  constructor(
    private readonly columns: readonly ExportColumn[],
    private readonly info: PdfDocumentInfo,
  ) {
    super({ writableObjectMode: true, writableHighWaterMark: 64 });
    this.doc = new PDFDocument({
      size: info.pageSize === 'letter' ? 'LETTER' : 'A4',
      layout: 'landscape',
      margin: MARGIN,
      info: { Title: this.title, Author: info.requestedBy, CreationDate: info.snapshotAt },
    });
    for (const font of Object.values(pdfFonts())) this.doc.registerFont(font.name, font.data);
    this.doc.on('data', (chunk: Buffer) => this.push(chunk));
    this.doc.on('end', () => this.ended?.());
    this.doc.on('error', (error: Error) => this.destroy(error));
    const tableWidth = this.doc.page.width - 2 * MARGIN;
    // The title is what a reader looks for: it gets the widest column.
    const weights = columns.map((column) => (column.key === 'title' ? 4 : COLUMN_WEIGHTS[column.type]));
    const total = weights.reduce((sum, weight) => sum + weight, 0) || 1;
    this.widths = weights.map((weight) => (tableWidth * weight) / total);
    this.bottom = this.doc.page.height - MARGIN - FOOTER_SPACE;
    this.headerLines = columns.map((column, i) =>
      wrapText(column.label, this.widths[i] - 2 * PAD_X, 'bold', this.measure(BODY_SIZE)),
    );
  }

  private get title(): string {
    return this.info.viewName ?? 'Tickets';
  }

  override _transform(cells: string[], _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const measure = this.measure(BODY_SIZE);
      this.rows.push(
        this.columns.map((_, i) => wrapText(cells[i] ?? '', this.widths[i] - 2 * PAD_X, 'text', measure)),
      );
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    const dryRun = this.pages(0, false);
    let counted = dryRun.next();
    while (counted.done !== true) counted = dryRun.next();
    const pageCount = counted.value;
    const drawing = this.pages(pageCount, true);
    const slice = (): void => {
      try {
        for (let i = 0; i < ROWS_PER_SLICE; i++) {
          if (drawing.next().done) {
            this.ended = callback;
            this.doc.end();
            return;
          }
        }
        setImmediate(slice);
      } catch (error) {
        callback(error as Error);
      }
    };
    slice();
  }

  /**
   * The one pagination, run twice: dry (`draw` false) to count the pages, then drawing, each page flushed as the
   * next one starts. Yields after each row; returns the page count.
   */
  private *pages(pageCount: number, draw: boolean): Generator<void, number> {
    let page = 1;
    if (draw) this.drawTitleBlock();
    let y = this.header(MARGIN + TITLE_BLOCK_HEIGHT, draw);
    const newPage = (): void => {
      if (draw) {
        this.drawFooter(page, pageCount);
        this.doc.addPage();
      }
      page++;
      y = this.header(MARGIN, draw);
    };
    for (const cellLines of this.rows) {
      const lines = Math.max(1, ...cellLines.map((l) => l.length));
      // A row that fits on a page is never split: it starts a new page instead.
      const height = lines * LINE_HEIGHT + 2 * PAD_Y;
      if (y + height > this.bottom && height <= this.bottom - MARGIN - 3 * LINE_HEIGHT) newPage();
      for (let from = 0; from < lines;) {
        const fit = Math.floor((this.bottom - y - 2 * PAD_Y) / LINE_HEIGHT);
        if (fit < 1) {
          newPage();
          continue;
        }
        const to = Math.min(lines, from + fit);
        if (draw) this.drawCells(cellLines, from, to, y, 'text');
        y += (to - from) * LINE_HEIGHT + 2 * PAD_Y;
        if (draw) this.drawRule(y);
        from = to;
        if (from < lines) newPage();
      }
      yield;
    }
    if (draw && this.rows.length === 0)
      this.drawText('No tickets match this export.', MARGIN + PAD_X, y + 12, 9, 'text');
    if (draw) this.drawFooter(page, pageCount);
    return page;
  }

  /** Widths at one size, from pdfkit's own layout of the run in its font (shaping and kerning included). */
  private measure(size: number): MeasureText {
    return (text, font) => this.doc.font(font).fontSize(size).widthOfString(text);
  }

  /** One line already cut into visual runs, its baseline at `baseline`. */
  private drawRuns(runs: readonly TextRun[], x: number, baseline: number, size: number): void {
    let left = x;
    for (const run of runs) {
      this.doc
        .font(run.font)
        .fontSize(size)
        .text(run.text, left, baseline, { lineBreak: false, baseline: 'alphabetic' });
      left += run.width;
    }
  }

  private drawText(text: string, x: number, baseline: number, size: number, base: 'text' | 'bold'): void {
    this.drawRuns(visualRuns(text, base, this.measure(size)), x, baseline, size);
  }

  /** `text` on one line of `width`, cut with an ellipsis when it is longer. */
  private oneLine(text: string, width: number, size: number, base: 'text' | 'bold'): string {
    const lines = wrapText(text, width - 10, base, this.measure(size));
    return lines.length > 1 ? `${lines[0]} …` : (lines[0] ?? '');
  }

  private drawTitleBlock(): void {
    const { info } = this;
    const width = this.doc.page.width - 2 * MARGIN;
    const snapshot = DateTime.fromJSDate(info.snapshotAt, { zone: info.timezone });
    const rows = `${info.totalRows.toLocaleString('en-US')} ticket${info.totalRows === 1 ? '' : 's'}`;
    const facts = `Requested by ${info.requestedBy} · Snapshot ${snapshot.toFormat('yyyy-MM-dd HH:mm:ss')} ${info.timezone} (UTC${snapshot.toFormat('ZZ')}) · ${rows}`;
    this.drawText(this.oneLine(this.title, width, 13, 'bold'), MARGIN, MARGIN + 12, 13, 'bold');
    this.drawText(this.oneLine(facts, width, 8.5, 'text'), MARGIN, MARGIN + 27, 8.5, 'text');
    this.drawText(this.oneLine(info.querySummary, width, 8.5, 'text'), MARGIN, MARGIN + 39, 8.5, 'text');
  }

  /** The header row at `y` (drawn or not); returns the y below it. */
  private header(y: number, draw: boolean): number {
    const lines = Math.max(1, ...this.headerLines.map((l) => l.length));
    const height = lines * LINE_HEIGHT + 2 * PAD_Y;
    if (draw) {
      this.doc
        .rect(
          MARGIN,
          y,
          this.widths.reduce((a, b) => a + b, 0),
          height,
        )
        .fill(HEADER_FILL)
        .fillColor('black');
      this.drawCells(this.headerLines, 0, lines, y, 'bold');
    }
    return y + height;
  }

  /** Lines [from, to) of every cell, from `y` down. */
  private drawCells(
    cellLines: readonly string[][],
    from: number,
    to: number,
    y: number,
    base: 'text' | 'bold',
  ): void {
    const measure = this.measure(BODY_SIZE);
    let x = MARGIN;
    cellLines.forEach((lines, i) => {
      for (let line = from; line < Math.min(to, lines.length); line++) {
        const baseline = y + PAD_Y + (line - from) * LINE_HEIGHT + BODY_SIZE;
        this.drawRuns(visualRuns(lines[line], base, measure), x + PAD_X, baseline, BODY_SIZE);
      }
      x += this.widths[i];
    });
  }

  private drawRule(y: number): void {
    this.doc
      .moveTo(MARGIN, y)
      .lineTo(this.doc.page.width - MARGIN, y)
      .lineWidth(0.4)
      .strokeColor(RULE_COLOR)
      .stroke();
  }

  /** "page N of M" at the foot of the current page. */
  private drawFooter(page: number, pageCount: number): void {
    const label = `page ${page} of ${pageCount}`;
    const x = this.doc.page.width - MARGIN - this.measure(FOOTER_SIZE)(label, 'text');
    this.drawText(label, x, this.doc.page.height - MARGIN, FOOTER_SIZE, 'text');
  }
}
