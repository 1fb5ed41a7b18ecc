import { ValidationError } from '../../errors/domain-error';
import { canDownloadExportJob, canRequestExport } from '../../permissions/export-policy';
import type { ExportSourceDefinition, SourceQuery } from '../export-source-definition';
import { parseRecordQuery, type RecordSourceShape } from '../record-query';

/** The longest range a ticket-analytics export covers, in days (both ends included). */
export const TICKET_ANALYTICS_MAX_DAYS = 366;

const DAY_MS = 86_400_000;

const SHAPE: RecordSourceShape = {
  key: 'ticket-analytics',
  columns: [
    { key: 'date', label: 'Date', type: 'text' },
    { key: 'team', label: 'Team', type: 'text' },
    { key: 'created', label: 'Created', type: 'number' },
    { key: 'resolved', label: 'Resolved', type: 'number' },
    { key: 'closed', label: 'Closed', type: 'number' },
    { key: 'medianResolutionHours', label: 'Median Resolution (h)', type: 'number' },
    { key: 'p90ResolutionHours', label: 'P90 Resolution (h)', type: 'number' },
    { key: 'slaBreaches', label: 'SLA Breaches', type: 'number' },
    { key: 'openAtEndOfDay', label: 'Open at End of Day', type: 'number' },
  ],
  defaultColumns: [
    'date',
    'team',
    'created',
    'resolved',
    'closed',
    'medianResolutionHours',
    'p90ResolutionHours',
    'slaBreaches',
    'openAtEndOfDay',
  ],
  filterFields: [
    // Days (YYYY-MM-DD) of the job's time zone; both bounds are required (ticketAnalyticsRange).
    { key: 'date', type: 'date', operators: ['on_or_after', 'on_or_before'] },
  ],
  sortFields: ['date'],
  defaultSort: [{ field: 'date', direction: 'asc' }],
};

export interface TicketAnalyticsRange {
  /** First day, YYYY-MM-DD in the job's time zone. */
  readonly from: string;
  /** Last day, included. */
  readonly to: string;
}

const isDay = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

/**
 * The required day range of a parsed ticket-analytics query: one `date on_or_after` and one `date on_or_before`
 * condition in `filters.and`, both whole days, at most TICKET_ANALYTICS_MAX_DAYS apart (ends included). Missing,
 * repeated, reversed or too long: a ValidationError naming the field. The SQL side reads the range through here too.
 */
export function ticketAnalyticsRange(query: SourceQuery): TicketAnalyticsRange {
  const and = query.conditions.flatMap((group) => group.and);
  const bound = (operator: 'on_or_after' | 'on_or_before'): { value: unknown; index: number } => {
    const index = and.findIndex((c) => c.field === 'date' && c.operator === operator);
    return { value: index < 0 ? undefined : and[index].value, index };
  };
  const from = bound('on_or_after');
  const to = bound('on_or_before');
  const orDates = query.conditions.some((group) => group.or.some((c) => c.field === 'date'));
  const path = (index: number): string => `filters.and[${index}].value`;
  const required = `ticket-analytics needs a day range: { field: "date", operator: "on_or_after" } and "on_or_before" in filters.and, at most ${TICKET_ANALYTICS_MAX_DAYS} days`;
  if (orDates)
    throw new ValidationError([
      { field: 'filters.or', message: `the date range belongs in filters.and; ${required}` },
    ]);
  if (from.index < 0 || to.index < 0)
    throw new ValidationError([{ field: 'filters.and', message: required }]);
  // A second bound of the same kind would be silently ignored above (the first one wins): refuse it instead.
  const repeated = and.findIndex(
    (c, i) => c.field === 'date' && i !== (c.operator === 'on_or_after' ? from.index : to.index),
  );
  if (repeated >= 0)
    throw new ValidationError([
      {
        field: `filters.and[${repeated}].operator`,
        message: `repeats the "${and[repeated].operator}" bound of "date"; give each bound once`,
      },
    ]);
  if (!isDay(from.value) || !isDay(to.value)) {
    const bad = isDay(from.value) ? to.index : from.index;
    throw new ValidationError([
      { field: path(bad), message: "must be a day (YYYY-MM-DD) of the job's time zone" },
    ]);
  }
  const days = (Date.parse(`${to.value}T00:00:00Z`) - Date.parse(`${from.value}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1)
    throw new ValidationError([{ field: path(to.index), message: 'must not be before the on_or_after day' }]);
  if (days > TICKET_ANALYTICS_MAX_DAYS)
    throw new ValidationError([
      {
        field: path(to.index),
        message: `the range covers ${days} days; at most ${TICKET_ANALYTICS_MAX_DAYS} are allowed`,
      },
    ]);
  return { from: from.value, to: to.value };
}

/**
 * Ticket analytics: one row per day and team (every team of the tenant, then tickets without a team) over a
 * required range of days in the job's time zone; its SQL is libs/infrastructure/src/export-sources/ticket-analytics/.
 */
export const TICKET_ANALYTICS_SOURCE: ExportSourceDefinition = {
  key: SHAPE.key,
  label: 'Ticket analytics',
  columns: SHAPE.columns,
  defaultColumns: SHAPE.defaultColumns,
  filterFields: SHAPE.filterFields,
  defaultSort: SHAPE.defaultSort,
  usesViews: false,
  canRequest: canRequestExport,
  requestDeniedMessage: 'Exporting ticket analytics needs the Import / Export Tickets permission.',
  canDownload: canDownloadExportJob,
  parseQuery: (refinement) => {
    const query = parseRecordQuery(SHAPE, refinement);
    ticketAnalyticsRange(query);
    return query;
  },
};
