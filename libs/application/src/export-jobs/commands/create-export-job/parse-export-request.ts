import {
  buildTicketQuery,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportJobQuery,
  type ExportSource,
  type FieldError,
  FILE_NAME_PATTERN,
  isExportFormat,
  parseTimeZone,
  type TicketQuery,
  ValidationError,
} from '@app/domain';
import type { TicketViewRecord } from '../../../ports/ticket-view.repository';
import { queryOfView } from '../../../tickets/stored-view';
import type { CreateExportJobInput } from './create-export-job.command';

export interface ParsedExportRequest {
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly query: ExportJobQuery;
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

function parseSource(value: unknown, errors: FieldError[]): ExportSource {
  if (value === undefined || value === null) return 'tickets';
  if (typeof value === 'string' && (EXPORT_SOURCES as readonly string[]).includes(value))
    return value as ExportSource;
  errors.push({ field: 'source', message: `unknown source; use one of ${EXPORT_SOURCES.join(', ')}` });
  return 'tickets';
}

function parseFormat(value: unknown, errors: FieldError[]): ExportFormat {
  if (value === undefined || value === null) return 'csv';
  if (isExportFormat(value)) return value;
  errors.push({ field: 'format', message: 'unknown format; use one of csv, json, ndjson' });
  return 'csv';
}

function parseFileName(value: unknown, errors: FieldError[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && FILE_NAME_PATTERN.test(value)) return value;
  errors.push({
    field: 'fileName',
    message:
      'must be 1 to 100 letters, digits, spaces, dots, underscores or dashes, starting with a letter or digit',
  });
  return null;
}

/**
 * The job a request describes: the view (already found and visible, or null) refined by the request's columns,
 * filters, sort and search, in its time zone. Throws one ValidationError naming every bad field, `earlier` ones
 * (found before the view was looked up) included.
 */
export function parseExportRequest(
  input: CreateExportJobInput,
  view: TicketViewRecord | null,
  earlier: readonly FieldError[] = [],
): ParsedExportRequest {
  const errors: FieldError[] = [...earlier];
  const source = parseSource(input.source, errors);
  const format = parseFormat(input.format, errors);
  // A stored view that no longer validates is the view's fault (TICKET_VIEW.INVALID), not a bad request field.
  if (view !== null) queryOfView(view);
  const query = collect<TicketQuery>(errors, () =>
    buildTicketQuery(view, {
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
      viewId: view?.id ?? null,
      viewName: view?.name ?? null,
      timezone,
      fileName,
    },
  };
}
