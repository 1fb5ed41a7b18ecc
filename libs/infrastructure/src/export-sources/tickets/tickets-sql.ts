import { findTicketColumn, type TicketColumn, ticketQueryOf } from '@app/domain';
import { exportProjection } from '../../export/export-projection';
import { TicketQueryBuilder } from '../../tickets/ticket-query-builder';
import type { ExportSourceSql, SourceSqlRequest } from '../source-sql';

/** The list's own builder with the export's context: the export equals the list the user saw (CONTRACT §4). */
function builderOf(request: SourceSqlRequest): TicketQueryBuilder {
  const query = ticketQueryOf(request.query);
  return new TicketQueryBuilder(query, {
    tenantId: request.tenantId,
    me: request.requesterId,
    now: request.requestedAt,
    timezone: query.timezone,
    cutoff: request.requestedAt,
  });
}

/** Tickets through the one ticket query builder (ticket-query-builder.ts) and their projection. */
export const TICKETS_SQL: ExportSourceSql = {
  columns: (query) =>
    ticketQueryOf(query)
      .columns.map((key) => findTicketColumn(key))
      .filter((c): c is TicketColumn => c !== undefined),
  count: (request) => builderOf(request).count(),
  copy: (request, format) =>
    builderOf(request).copySelect(exportProjection(format, ticketQueryOf(request.query).columns)),
};
