import { type FieldError, ValidationError } from '../errors/domain-error';
import {
  DEFAULT_TICKET_QUERY,
  isUuid,
  parseTimeZone,
  refineTicketQuery,
  type TicketQuery,
} from '../tickets/ticket-query';
import type { ExportJobQuery } from './export-job';
import { FILE_NAME_PATTERN } from './export-file-name';
import {
  EXPORT_FORMATS,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportSource,
  isExportFormat,
} from './export-format';

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

/** The stored view a request refines, already read (once) into its query. */
export interface RefinedView {
  readonly id: string;
  readonly name: string;
  readonly query: TicketQuery;
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

function parseSource(value: string | null | undefined, errors: FieldError[]): ExportSource {
  if (value === undefined || value === null) return 'tickets';
  if ((EXPORT_SOURCES as readonly string[]).includes(value)) return value as ExportSource;
  errors.push({ field: 'source', message: `unknown source; use one of ${EXPORT_SOURCES.join(', ')}` });
  return 'tickets';
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
 * The export a request describes: the view (found and visible, or null for all tickets) refined by the request's
 * columns, filters, sort and search, in its time zone. One parse: throws one ValidationError naming every bad
 * field, the `earlier` ones (found before the view was looked up, such as `viewId`) included.
 */
export function parseExportRequest(
  input: ExportRequestInput,
  view: RefinedView | null,
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
      ticketIds: input.ticketIds,
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
