import { type FieldError, ValidationError } from '../errors/domain-error';
import type { RefinedView } from '../export-sources/export-source-definition';
import {
  EXPORT_SOURCES,
  type ExportSource,
  exportSourceDefinition,
  isExportSource,
} from '../export-sources/registry';
import { isUuid, parseTimeZone } from '../tickets/ticket-query';
import type { ExportJobQuery } from './export-job';
import { FILE_NAME_PATTERN } from './export-file-name';
import { EXPORT_FORMATS, type ExportFormat, isExportFormat } from './export-format';

/**
 * An export request as JSON carries it, its shape already checked at the edge (strings are strings, arrays are
 * arrays). What the values mean is checked here. JSON null means absent. Column keys, the condition group and the
 * sort levels stay loosely typed: the ticket query parser checks them to the last element, as it checks stored
 * views, and names each bad one (`columns[2]`, `filters.and[0].operator`).
 */
export interface ExportRequestInput {
  readonly source?: string | null;
  readonly viewId?: string | null;
  readonly format?: string | null;
  readonly columns?: readonly unknown[] | null;
  readonly filters?: Readonly<Record<string, unknown>> | null;
  readonly sort?: readonly unknown[] | null;
  readonly search?: string | null;
  readonly timezone?: string | null;
  readonly fileName?: string | null;
  /** A selection: 1 to 10,000 unique positive integers, ANDed with the view and its filters. */
  readonly ticketIds?: readonly unknown[] | null;
}

export interface ParsedExportRequest {
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly query: ExportJobQuery;
}

/** Runs one parser and keeps its field errors, so an answer names every bad field at once. */
function collect<T>(errors: FieldError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
}

/** The view id to look up, or null; a malformed one is a field error (pushed to `errors`) and no lookup. */
export function parseExportViewId(value: string | null | undefined, errors: FieldError[]): string | null {
  if (value === undefined || value === null) return null;
  if (isUuid(value)) return value;
  errors.push({ field: 'viewId', message: 'must be a view id (UUID)' });
  return null;
}

/**
 * The source a request names (tickets when absent); an unknown one is a ValidationError naming `source`. Read
 * before anything else: which source it is decides who may ask and how the rest of the body reads.
 */
export function parseExportSource(value: string | null | undefined): ExportSource {
  if (value === undefined || value === null) return 'tickets';
  if (isExportSource(value)) return value;
  throw new ValidationError([
    {
      field: 'source',
      message: `unknown source ${JSON.stringify(value)}; use one of ${EXPORT_SOURCES.join(', ')}`,
    },
  ]);
}

function parseFormat(value: string | null | undefined, errors: FieldError[]): ExportFormat {
  if (value === undefined || value === null) return 'csv';
  if (isExportFormat(value)) return value;
  errors.push({ field: 'format', message: `unknown format; use one of ${EXPORT_FORMATS.join(', ')}` });
  return 'csv';
}

function parseFileName(value: string | null | undefined, errors: FieldError[]): string | null {
  if (value === undefined || value === null) return null;
  if (FILE_NAME_PATTERN.test(value)) return value;
  errors.push({
    field: 'fileName',
    message:
      'must be 1 to 100 letters, digits, spaces, dots, underscores or dashes, starting with a letter or digit',
  });
  return null;
}

/**
 * The export a request describes: for tickets the view (found and visible, or null for all tickets) refined by
 * the request's columns, filters, sort and search; for another source its columns, filters and sort as that source
 * declares them (export-sources/registry.ts); in the request's time zone. One parse: throws one ValidationError naming every bad
 * field, the `earlier` ones (found before the view was looked up, such as `viewId`) included.
 */
export function parseExportRequest(
  input: ExportRequestInput,
  view: RefinedView | null,
  earlier: readonly FieldError[] = [],
): ParsedExportRequest {
  const errors: FieldError[] = [...earlier];
  const source = collect(errors, () => parseExportSource(input.source)) ?? 'tickets';
  const format = parseFormat(input.format, errors);
  const query = collect(errors, () => exportSourceDefinition(source).parseQuery(input, view));
  const timezone = collect(errors, () => parseTimeZone(input.timezone));
  const fileName = parseFileName(input.fileName, errors);
  if (errors.length > 0 || query === undefined || timezone === undefined) throw new ValidationError(errors);
  return {
    source,
    format,
    query: {
      ...query,
      viewId: view?.id ?? null,
      viewName: view?.name ?? null,
      timezone,
      fileName,
    },
  };
}
