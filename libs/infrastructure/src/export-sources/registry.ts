import type { ExportSource } from '@app/domain';
import { AUDIT_EVENTS_SQL } from './audit-events/audit-events-sql';
import type { ExportSourceSql } from './source-sql';
import { TICKET_ANALYTICS_SQL } from './ticket-analytics/ticket-analytics-source-sql';
import { TICKETS_SQL } from './tickets/tickets-sql';
import { USERS_SQL } from './users/users-sql';

/** The SQL of every registered source (libs/domain/src/export-sources/registry.ts): a missing one does not compile. */
export const EXPORT_SOURCE_SQL: Readonly<Record<ExportSource, ExportSourceSql>> = {
  tickets: TICKETS_SQL,
  'audit-events': AUDIT_EVENTS_SQL,
  users: USERS_SQL,
  'ticket-analytics': TICKET_ANALYTICS_SQL,
};
