import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findTicketColumn, type TicketColumn, type TicketColumnKey } from '@app/domain';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import nasty from '../../seed/nasty-strings.json';
import { CopyTextBatch } from '../copy-text';
import { DEFAULT_FILE_ENCODER_OPTIONS, fileEncoder } from '../file-encoders';

/** COPY text format's escaping of one value (what Postgres sends); null is `\N`. */
function copyEscape(value: string | null): string {
  if (value === null) return '\\N';
  const named: Record<string, string> = {
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
  };
  return value.replace(/[\\\b\f\n\r\t\v]/g, (c) => named[c]);
}

function batches(rows: readonly (readonly (string | null)[])[], perBatch: number): CopyTextBatch[] {
  const out: CopyTextBatch[] = [];
  for (let i = 0; i < rows.length; i += perBatch) {
    const slice = rows.slice(i, i + perBatch);
    out.push(new CopyTextBatch(slice.map((r) => `${r.map(copyEscape).join('\t')}\n`).join(''), slice.length));
  }
  return out;
}

const columnsOf = (keys: TicketColumnKey[]): TicketColumn[] =>
  keys.map((key) => {
    const column = findTicketColumn(key);
    if (!column) throw new Error(key);
    return column;
  });

const COLUMNS = columnsOf(['id', 'title', 'tags', 'creationTime', 'closedAt']);

async function encode(
  rows: readonly (readonly (string | null)[])[],
  { sheetRows = 1_048_576, perBatch = 2, columns = COLUMNS } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const stages = fileEncoder('xlsx', columns, {
    ...DEFAULT_FILE_ENCODER_OPTIONS,
    xlsx: { sheetRows, sheetName: 'Tickets' },
  });
  await pipeline([Readable.from(batches(rows, perBatch)), ...stages, sink]);
  return Buffer.concat(chunks);
}

/** The file read back by an independent reader (exceljs's). */
async function read(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

function sheetValues(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, n) => {
    rows[n - 1] = (row.values as unknown[]).slice(1);
  });
  return rows;
}

/** A part of the package, as XML text (for what exceljs does not model: quotePrefix, escapes as written). */
async function part(bytes: Buffer, path: string): Promise<string> {
  const file = (await JSZip.loadAsync(bytes)).file(path);
  if (!file) throw new Error(`no ${path} in the package`);
  return file.async('string');
}

/** ECMA-376's ST_Xstring escapes (`_xHHHH_`), undone as a spreadsheet program does: exceljs leaves them as written. */
const decodeXstring = (text: string): string =>
  text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** A cell's text as exceljs reads it, line breaks as XML parsing leaves them. */
function cellText(sheet: ExcelJS.Worksheet, ref: string): string | undefined {
  const value = sheet.getCell(ref).value;
  if (value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${ref} is not a string cell`);
  return value;
}

const columnIndex = (letters: string): number =>
  [...letters].reduce((index, letter) => index * 26 + letter.charCodeAt(0) - 64, 0) - 1;
const columnName = (index: number): string =>
  (index >= 26 ? columnName(Math.floor(index / 26) - 1) : '') + String.fromCharCode(65 + (index % 26));

/**
 * Each cell's start tag (`<c ...>`) in a sheet's XML by its reference, as ECMA-376 §18.3.1.4 places cells: one with
 * `r` where it says, one without in the column after the row's previous cell.
 */
function cellTags(sheetXml: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const [, row, cells] of sheetXml.matchAll(/<row r="(\d+)"[^>]*>(.*?)<\/row>/g)) {
    let column = 0;
    for (const [tag] of cells.matchAll(/<c(?: [^>]*)?>/g)) {
      const letters = / r="([A-Z]+)\d+"/.exec(tag)?.[1];
      if (letters) column = columnIndex(letters);
      tags.set(`${columnName(column)}${row}`, tag);
      column++;
    }
  }
  return tags;
}

describe('XLSX encoder', () => {
  it('writes typed cells: ids as numbers, dates as date cells, text and joined tags as strings', async () => {
    // 46083.4375 is 2026-03-02 10:30 wall-clock time (the SQL projection computes it in the job's zone).
    const bytes = await encode([
      ['7', 'Printer on fire', 'hardware, urgent', '46083.4375', null],
      ['12345678901', 'Second', null, '46084.999988425926', '46085'],
    ]);
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const workbook = await read(bytes);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Tickets']);
    const sheet = workbook.worksheets[0];
    expect(sheetValues(sheet)).toEqual([
      ['Ticket ID', 'Title', 'Tags', 'Created', 'Closed'],
      [7, 'Printer on fire', 'hardware, urgent', new Date('2026-03-02T10:30:00Z')],
      [12345678901, 'Second', undefined, new Date('2026-03-03T23:59:59Z'), new Date('2026-03-04T00:00:00Z')],
    ]);
    expect(sheet.getCell('A2').type).toBe(ExcelJS.ValueType.Number);
    expect(sheet.getCell('B2').type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getCell('D2').type).toBe(ExcelJS.ValueType.Date);
    expect(sheet.getCell('D2').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  it('names a cell’s column only first in its row and after a gap: the others follow the row’s previous cell', async () => {
    const bytes = await encode([
      ['1', 'All five', 'a', '46083', '46084'],
      ['2', null, '', '46083', null],
      [null, 'No id', null, null, '46084'],
    ]);
    const sheetXml = await part(bytes, 'xl/worksheets/sheet1.xml');
    const rows = [...sheetXml.matchAll(/<row r="\d+"[^>]*>(.*?)<\/row>/g)].map(([, cells]) =>
      [...cells.matchAll(/<c(?: [^>]*)?>/g)].map(([tag]) => / r="([A-Z]+\d+)"/.exec(tag)?.[1] ?? null),
    );
    expect(rows).toEqual([
      ['A1', null, null, null, null],
      ['A2', null, null, null, null],
      ['A3', 'D3'],
      ['B4', 'E4'],
    ]);
    expect(sheetValues((await read(bytes)).worksheets[0]).slice(1)).toEqual([
      [1, 'All five', 'a', new Date('2026-03-02T00:00:00Z'), new Date('2026-03-03T00:00:00Z')],
      [2, undefined, undefined, new Date('2026-03-02T00:00:00Z')],
      [undefined, 'No id', undefined, undefined, new Date('2026-03-03T00:00:00Z')],
    ]);
  });

  it('writes a bold, frozen header row with an autofilter and column widths from the header and first rows', async () => {
    const long = 'x'.repeat(45);
    const bytes = await encode([
      ['1', long, 'a', '46083', null],
      ['2', 'short', null, '46083', null],
    ]);
    const sheet = (await read(bytes)).worksheets[0];
    expect(sheet.getCell('A1').font.bold).toBe(true);
    expect(sheet.getCell('A2').font?.bold).toBeFalsy();
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, topLeftCell: 'A2' });
    expect(sheet.autoFilter).toBe('A1:E3');
    // Ticket ID (9 + 3 for the filter button) and 45 characters of title, plus one; a date shows 19 characters.
    expect(sheet.columns.map((c) => c.width)).toEqual([13, 46, 8, 20, 20]);
  });

  it('marks text that starts like a formula with quotePrefix, never with an apostrophe in the value', async () => {
    const starts = ['=1+1', '+33 1 23', '-5', '@SUM(A1)', '\tTab', 'plain', "'quoted"];
    const bytes = await encode(starts.map((t, i) => [String(i + 1), t, null, null, null]));
    const sheet = (await read(bytes)).worksheets[0];
    expect(starts.map((_, i) => cellText(sheet, `B${i + 2}`))).toEqual(starts);
    const styles = await part(bytes, 'xl/styles.xml');
    const xfs = [...(/<cellXfs[^>]*>(.*)<\/cellXfs>/.exec(styles)?.[1] ?? '').matchAll(/<xf [^>]*>/g)].map(
      (m) => m[0],
    );
    const tags = cellTags(await part(bytes, 'xl/worksheets/sheet1.xml'));
    const styleOf = (ref: string): string => xfs[Number(/ s="(\d+)"/.exec(tags.get(ref) ?? '')?.[1] ?? '0')];
    for (let i = 0; i < 5; i++) expect(styleOf(`B${i + 2}`)).toContain('quotePrefix="1"');
    expect(styleOf('B7')).not.toContain('quotePrefix');
    expect(styleOf('B8')).not.toContain('quotePrefix');
  });

  it('round-trips every nasty string through XML: forbidden characters as _xHHHH_, a literal _xHHHH_ kept', async () => {
    const values = [
      ...nasty.strings,
      'a_x0041_b',
      '_x005F_',
      '_X00e9_',
      'ctl\u0001\u0008\u000b\u000c\u001f',
      'nonchars\ufffe\uffff',
      'lone\ud800 and \udfff',
      '  both ends  ',
      'line\nbreak',
      '<tag attr="1">&amp;</tag>',
    ];
    const bytes = await encode(
      values.map((v, i) => [String(i + 1), v, null, null, null]),
      { perBatch: 7 },
    );
    const sheet = (await read(bytes)).worksheets[0];
    const read_ = values.map((_, i) => cellText(sheet, `B${i + 2}`));
    // An empty string leaves no cell, as NULL does; CR comes back through a character reference.
    expect(read_.map((t) => (t === undefined ? '' : decodeXstring(t)))).toEqual(values);
    const xml = await part(bytes, 'xl/worksheets/sheet1.xml');
    expect(xml).toContain('a_x005F_x0041_b');
    expect(xml).toContain('ctl_x0001__x0008__x000B__x000C__x001F_');
    expect(xml).toContain('lone_xD800_ and _xDFFF_');
    // eslint-disable-next-line no-control-regex -- no forbidden character may remain
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
  });

  it('continues on sheets "Tickets (2)", "Tickets (3)" with the header repeated, at the sheet row limit', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => [String(i + 1), `t${i + 1}`, null, '46083', null]);
    const workbook = await read(await encode(rows, { sheetRows: 4, perBatch: 2 }));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Tickets', 'Tickets (2)', 'Tickets (3)']);
    const ids = workbook.worksheets.map((sheet) => sheetValues(sheet).map((r) => r[0]));
    expect(ids).toEqual([
      ['Ticket ID', 1, 2, 3],
      ['Ticket ID', 4, 5, 6],
      ['Ticket ID', 7],
    ]);
    expect(workbook.worksheets.map((s) => s.autoFilter)).toEqual(['A1:E4', 'A1:E4', 'A1:E2']);
    expect(workbook.worksheets[2].views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('opens no empty sheet when the rows fill the last one exactly', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => [String(i + 1), null, null, null, null]);
    const workbook = await read(await encode(rows, { sheetRows: 4, perBatch: 4 }));
    expect(workbook.worksheets.map((s) => s.rowCount)).toEqual([4, 4]);
  });

  it('writes the header alone when there are no rows', async () => {
    const workbook = await read(await encode([]));
    expect(workbook.worksheets.map((s) => sheetValues(s))).toEqual([
      [['Ticket ID', 'Title', 'Tags', 'Created', 'Closed']],
    ]);
  });

  it('stops cleanly when destroyed mid-file (a cancel): the error reaches the pipeline, nothing throws later', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [String(i), 'z'.repeat(100), null, null, null]);
    const [encoder] = fileEncoder('xlsx', COLUMNS);
    const cancelled = new Error('cancelled');
    let read = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        read += chunk.length;
        if (read > 10_000) encoder.destroy(cancelled);
        callback();
      },
    });
    await expect(pipeline([Readable.from(batches(rows, 100)), encoder, sink])).rejects.toBe(cancelled);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(encoder.destroyed).toBe(true);
  });

  it('holds back while its reader does: a batch is taken only once the zip took the previous one', async () => {
    const row = (i: number): string[] => [String(i), 'y'.repeat(200), null, null, null].map((v) => v ?? '');
    const input = batches(
      Array.from({ length: 20_000 }, (_, i) => row(i)),
      1000,
    );
    let taken = 0;
    const source = Readable.from(
      (function* () {
        for (const batch of input) {
          taken++;
          yield batch;
        }
      })(),
    );
    const [encoder] = fileEncoder('xlsx', COLUMNS);
    source.pipe(encoder);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nobody reads the output: the encoder and zlib buffer a little, then the source is no longer read.
    expect(taken).toBeLessThan(input.length);
    const chunks: Buffer[] = [];
    for await (const chunk of encoder) chunks.push(chunk as Buffer);
    expect(taken).toBe(input.length);
    expect((await read(Buffer.concat(chunks))).worksheets[0].rowCount).toBe(20_001);
  });
});
