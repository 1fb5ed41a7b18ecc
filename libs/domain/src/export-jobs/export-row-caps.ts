import { DomainError } from '../errors/domain-error';
import type { ExportFormat } from './export-format';

/**
 * The most rows a file of each format may hold, from configuration (`EXPORT_<FORMAT>_MAX_ROWS`). A format without
 * an entry has no cap. One table, so that each capped format is one line here and one setting.
 */
export type ExportRowCaps = Readonly<Partial<Record<ExportFormat, number>>>;

/** The setting that caps each format: named in the refusal, so the operator knows what to raise. */
export const ROW_CAP_SETTINGS: Readonly<Partial<Record<ExportFormat, string>>> = {
  pdf: 'EXPORT_PDF_MAX_ROWS',
};

/** An export holds more rows than its format's cap: refused at request time (422) or failed at `counting`. */
export class ExportTooLargeError extends DomainError {
  constructor(
    readonly format: ExportFormat,
    readonly maxRows: number,
  ) {
    super(
      'EXPORT_JOB.TOO_LARGE',
      `A ${format.toUpperCase()} export holds at most ${maxRows} rows (${ROW_CAP_SETTINGS[format] ?? 'its cap'}); ` +
        'this one has more. Narrow the filters, or export it as CSV.',
      { format, maxRows },
    );
  }
}

/** Throws ExportTooLargeError when `rows` exceeds the cap of `format`. */
export function checkRowCap(caps: ExportRowCaps, format: ExportFormat, rows: number): void {
  const maxRows = caps[format];
  if (maxRows !== undefined && rows > maxRows) throw new ExportTooLargeError(format, maxRows);
}
