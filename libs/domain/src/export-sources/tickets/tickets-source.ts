import type { ExportJobQuery } from '../../export-jobs/export-job';
import { canDownloadExportJob, canRequestExport } from '../../permissions/export-policy';
import { DEFAULT_TICKET_COLUMNS, TICKET_COLUMNS, TICKET_FIELDS } from '../../tickets/ticket-fields';
import {
  DEFAULT_TICKET_QUERY,
  DEFAULT_TICKET_SORT,
  operatorsFor,
  refineTicketQuery,
  type TicketQuery,
} from '../../tickets/ticket-query';
import type { ExportSourceDefinition, SourceQuery } from '../export-source-definition';

/**
 * Tickets: a view (or all tickets) refined by the request, in the grammar of CONTRACT §4. The ticket field
 * registry (ticket-fields.ts) and query parser (ticket-query.ts) stay where the list uses them too.
 */
export const TICKETS_SOURCE: ExportSourceDefinition = {
  key: 'tickets',
  label: 'Tickets',
  columns: TICKET_COLUMNS,
  defaultColumns: DEFAULT_TICKET_COLUMNS,
  filterFields: TICKET_FIELDS.filter((f) => f.filterable).map((f) => ({
    key: f.key,
    type: f.type,
    operators: operatorsFor(f.key),
  })),
  defaultSort: DEFAULT_TICKET_SORT,
  usesViews: true,
  canRequest: canRequestExport,
  requestDeniedMessage: 'Exporting tickets needs the Import / Export Tickets permission.',
  canDownload: canDownloadExportJob,
  parseQuery: (refinement, view) =>
    refineTicketQuery(view?.query ?? DEFAULT_TICKET_QUERY, {
      columns: refinement.columns ?? undefined,
      filters: refinement.filters,
      sort: refinement.sort ?? undefined,
      search: refinement.search,
      ticketIds: refinement.ticketIds,
    }),
};

/**
 * The TicketQuery a ticket export stored: its query was parsed by refineTicketQuery when it was requested (a job
 * of source `tickets` holds nothing else), so its keys are ticket fields.
 */
export function ticketQueryOf<Q extends SourceQuery>(query: Q): Omit<Q, keyof TicketQuery> & TicketQuery {
  return query as Omit<Q, keyof TicketQuery> & TicketQuery;
}

/** The stored query of a ticket export job. */
export type TicketExportQuery = Omit<ExportJobQuery, keyof TicketQuery> & TicketQuery;
