import { AUDIT_EVENTS_SOURCE } from './audit-events/audit-events-source';
import type { ExportSourceDefinition } from './export-source-definition';
import type { Actor } from '../permissions/actor';
import { TICKET_ANALYTICS_SOURCE } from './ticket-analytics/ticket-analytics-source';
import { TICKETS_SOURCE } from './tickets/tickets-source';
import { USERS_SOURCE } from './users/users-source';

/**
 * Every source a job may name (`source` of POST /export-jobs), in the order GET /export-sources lists them.
 * Adding a source: its folder here (a definition) and in libs/infrastructure/src/export-sources/ (its SQL), and
 * one line in each registry.
 */
export const EXPORT_SOURCES = ['tickets', 'audit-events', 'users', 'ticket-analytics'] as const;
export type ExportSource = (typeof EXPORT_SOURCES)[number];

export const EXPORT_SOURCE_DEFINITIONS: Readonly<Record<ExportSource, ExportSourceDefinition>> = {
  tickets: TICKETS_SOURCE,
  'audit-events': AUDIT_EVENTS_SOURCE,
  users: USERS_SOURCE,
  'ticket-analytics': TICKET_ANALYTICS_SOURCE,
};

export function isExportSource(value: unknown): value is ExportSource {
  return typeof value === 'string' && (EXPORT_SOURCES as readonly string[]).includes(value);
}

export function exportSourceDefinition(source: ExportSource): ExportSourceDefinition {
  return EXPORT_SOURCE_DEFINITIONS[source];
}

/**
 * The header label of a source's column, as its file and job resource name it; the key itself for a key the source
 * does not have as a column (a filter-only field such as a ticket's `team`, or the audit log's `actor`).
 */
export function exportColumnLabel(source: ExportSource, key: string): string {
  return EXPORT_SOURCE_DEFINITIONS[source].columns.find((column) => column.key === key)?.label ?? key;
}

/** The sources this actor may request, in registry order: what GET /export-sources lists. */
export function exportSourcesFor(actor: Actor): ExportSourceDefinition[] {
  return EXPORT_SOURCES.map((key) => EXPORT_SOURCE_DEFINITIONS[key]).filter((d) => d.canRequest(actor));
}
