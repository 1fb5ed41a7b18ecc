import type { ExportFormat, TicketColumnKey, TicketFieldType } from '@app/domain';
import { findTicketColumn, FORMULA_GUARD_PREFIX, FORMULA_TRIGGERS } from '@app/domain';
import type { SelectItem } from '../tickets/ticket-query-builder';
import { columnSql } from '../tickets/ticket-sql-fields';

/** ISO 8601 with the offset of the session's TimeZone, which the reader sets to the job's zone. */
const isoDate = (sql: string): string => `to_char(${sql}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')`;

/** One character as an SQL expression: control characters by code point, so none enters the SQL text raw. */
const sqlChar = (c: string): string => (c < ' ' ? `chr(${c.charCodeAt(0)})` : `'${c.replaceAll("'", "''")}'`);

/**
 * The domain's guardFormula, run by Postgres on a text expression: a cell a spreadsheet would run as a formula
 * gets a leading apostrophe (CONTRACT §6). A spec runs both on the nasty strings.
 */
export const formulaGuard = (sql: string): string =>
  `CASE WHEN left(${sql}, 1) IN (${FORMULA_TRIGGERS.map(sqlChar).join(', ')}) ` +
  `THEN ${sqlChar(FORMULA_GUARD_PREFIX)} || ${sql} ELSE ${sql} END`;

/** How tags appear in one CSV cell. */
export const CSV_TAG_SEPARATOR = ', ';

/** Days from Excel's day 0 (1899-12-30 in its 1900 date system) to 1970-01-01. */
const EXCEL_UNIX_EPOCH_DAY = 25569;

/**
 * A date as an Excel serial number (days, the time of day as the fraction) of its wall-clock time in the session's
 * TimeZone, the job's zone: what a spreadsheet shows with no zone. Whole seconds, as the CSV and JSON dates carry.
 * float8's text is the shortest that reads back to the same double.
 */
const excelSerial = (sql: string): string =>
  `(extract(epoch FROM date_trunc('second', (${sql})::timestamp)) / 86400 + ${EXCEL_UNIX_EPOCH_DAY})::float8::text`;

/** How the formats that write one text cell per column show a date, and text (tags joined included). */
interface CellStyle {
  readonly date: (sql: string) => string;
  readonly text: (sql: string) => string;
}

const asTyped = (sql: string): string => sql;

const CELL_STYLES: Readonly<Record<'csv' | 'pdf' | 'xlsx', CellStyle>> = {
  // Dates in ISO 8601 with the job's offset; the formula guard on text, which a spreadsheet would evaluate.
  csv: { date: isoDate, text: formulaGuard },
  // As shown on paper: dates to the minute; text as typed (nothing evaluates a PDF).
  pdf: { date: (sql) => `to_char(${sql}, 'YYYY-MM-DD HH24:MI')`, text: asTyped },
  // Typed by the writer from the column's type (xlsx-encoder.ts): dates as Excel serials; text unchanged, since
  // inline strings are never evaluated (a cell that starts like a formula gets quotePrefix there instead).
  xlsx: { date: excelSerial, text: asTyped },
};

/**
 * A column of any source as SQL: `sql` its value (a text, number, timestamptz or text[] expression by `type`),
 * `json` its JSON value when that is not `sql` (a boolean, where the text cells say true/false). Trusted SQL only.
 */
export interface ProjectedColumn {
  readonly key: string;
  readonly type: TicketFieldType | undefined;
  readonly sql: string;
  readonly json?: string;
}

/** One cell of a column: numbers as Postgres writes them, tags joined with `, `, dates and text by `style`. */
function textCell({ sql, type }: ProjectedColumn, style: CellStyle): string {
  switch (type) {
    case 'number':
      return `${sql}::text`;
    case 'date':
      return style.date(sql);
    case 'tags':
      return style.text(`array_to_string(${sql}, '${CSV_TAG_SEPARATOR}')`);
    case 'text':
    case 'choice':
    case undefined:
      return style.text(sql);
  }
}

function jsonValue({ sql, type, json }: ProjectedColumn): string {
  return json ?? (type === 'date' ? isoDate(sql) : sql);
}

/**
 * What Postgres hands over for each row of any source, ready to write: for CSV one text cell per column (labels joined, dates
 * in the job's zone, tags joined, formula guard applied); for PDF the same cells as shown on paper; for JSON and
 * NDJSON a single cell holding the row's JSON object keyed by column key, with typed values (numbers, strings, tag
 * arrays, nulls); for XLSX one cell per column ready to type (CELL_STYLES).
 */
export function projectColumns(format: ExportFormat, columns: readonly ProjectedColumn[]): SelectItem[] {
  if (format !== 'json' && format !== 'ndjson') {
    const style = CELL_STYLES[format];
    return columns.map((column, i) => ({ alias: `c${i}`, sql: textCell(column, style) }));
  }
  // Keys are the sources' own column keys (letters only), never input.
  const pairs = columns.map((column) => `'${column.key}', ${jsonValue(column)}`).join(', ');
  return [{ alias: 'row', sql: `json_build_object(${pairs})::text` }];
}

/** The ticket columns' projection (projectColumns over the ticket field registry). */
export function exportProjection(format: ExportFormat, columns: readonly TicketColumnKey[]): SelectItem[] {
  return projectColumns(
    format,
    columns.map((key) => ({ key, type: findTicketColumn(key)?.type, sql: columnSql(key) })),
  );
}
