import {
  DEFAULT_TICKET_QUERY,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportJobQuery,
  type ExportSource,
  type FieldError,
  FILE_NAME_PATTERN,
  isExportFormat,
  isUuid,
  parseTimeZone,
  refineTicketQuery,
  type TicketQuery,
  ValidationError,
} from '@app/domain';
import type { TicketViewRecord } from '../../../ports/ticket-view.repository';
import type { CreateExportJobInput } from './create-export-job.command';

export interface ParsedExportRequest {
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly query: ExportJobQuery;
}

/** A stored view, read once (queryOfView), that a request refines. */
export interface ParsedView {
  readonly record: TicketViewRecord;
  readonly query: TicketQuery;
}

/** Runs one parser and keeps its field errors, so a response names every bad field at once. */
function collect<T>(errors: FieldError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
}

/** The view id to look up, or null; a malformed one is a field error and no lookup. */
export function parseViewId(value: string | null | undefined, errors: FieldError[]): string | null {
  if (value === undefined || value === null || isUuid(value)) return value ?? null;
  errors.push({ field: 'viewId', message: 'must be a view id (UUID)' });
  return null;
}

function parseSource(value: string | null | undefined, errors: FieldError[]): ExportSource {
  if (value === undefined || value === null) return 'tickets';
  if ((EXPORT_SOURCES as readonly string[]).includes(value)) return value as ExportSource;
  errors.push({ field: 'source', message: `unknown source; use one of ${EXPORT_SOURCES.join(', ')}` });
  return 'tickets';
}

function parseFormat(value: string | null | undefined, errors: FieldError[]): ExportFormat {
  if (value === undefined || value === null) return 'csv';
  if (isExportFormat(value)) return value;
  errors.push({ field: 'format', message: 'unknown format; use one of csv, json, ndjson' });
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
 * The job a request describes: the view (already found, visible and parsed, or null) refined by the request's
 * columns, filters, sort and search, in its time zone. Throws one ValidationError naming every bad field,
 * `earlier` ones (found before the view was looked up) included.
 */
export function parseExportRequest(
  input: CreateExportJobInput,
  view: ParsedView | null,
  earlier: readonly FieldError[] = [],
): ParsedExportRequest {
  const errors: FieldError[] = [...earlier];
  const source = parseSource(input.source, errors);
  const format = parseFormat(input.format, errors);
  const query = collect(errors, () =>
    refineTicketQuery(view?.query ?? DEFAULT_TICKET_QUERY, {
      columns: input.columns ?? undefined,
      filters: input.filters,
      sort: input.sort ?? undefined,
      search: input.search,
    }),
  );
  const timezone = collect(errors, () => parseTimeZone(input.timezone));
  const fileName = parseFileName(input.fileName, errors);
  if (errors.length > 0 || query === undefined || timezone === undefined) throw new ValidationError(errors);
  return {
    source,
    format,
    query: {
      ...query,
      viewId: view?.record.id ?? null,
      viewName: view?.record.name ?? null,
      timezone,
      fileName,
    },
  };
}
