import { DomainError } from '../errors/domain-error';
import type { ExportFormat } from './export-format';

/**
 * The most rows an export of a format may hold, for the formats that have a cap (a spreadsheet's practical size, a
 * printable list): EXPORT_XLSX_MAX_ROWS and the like. A format without an entry is not capped (CSV, JSON, NDJSON).
 */
export type FormatRowCaps = Readonly<Partial<Record<ExportFormat, number>>>;

const FORMAT_NAMES: Readonly<Record<ExportFormat, string>> = {
  csv: 'CSV',
  json: 'JSON',
  ndjson: 'NDJSON',
  xlsx: 'XLSX',
  pdf: 'PDF',
};

/**
 * An export over its format's row cap. The API answers it with 422 before a job exists when the rows were cheap to
 * count; otherwise the job fails at `counting` with the same code and message.
 */
export class ExportTooLargeError extends DomainError {
  constructor(
    readonly format: ExportFormat,
    readonly maxRows: number,
    /** The rows counted: exact at `counting`; at the API, a count that stopped at maxRows + 1. */
    readonly rows: number,
  ) {
    super(
      'EXPORT_JOB.TOO_LARGE',
      `${FORMAT_NAMES[format]} exports hold at most ${maxRows} rows and this one has more. ` +
        'Export it as CSV, which has no row limit, or narrow the filters.',
      { format, maxRows, rows },
    );
  }
}

/** The cap of `format`, or null when it has none. */
export function rowCapOf(caps: FormatRowCaps, format: ExportFormat): number | null {
  return caps[format] ?? null;
}

/** Throws ExportTooLargeError when `rows` exceed the cap of `format`. */
export function checkRowCap(caps: FormatRowCaps, format: ExportFormat, rows: number): void {
  const cap = rowCapOf(caps, format);
  if (cap !== null && rows > cap) throw new ExportTooLargeError(format, cap, rows);
}
