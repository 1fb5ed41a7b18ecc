import { TICKET_ANALYTICS_SOURCE, ticketAnalyticsRange } from '@app/domain';
import { projectColumns } from '../../export/export-projection';
import { SETTING_PREFIX, settingsSetup, toSettingText } from '../../tickets/ticket-query-builder';
import { columnsOf } from '../record-source-sql';
import type { ExportSourceSql } from '../source-sql';
import { ticketAnalyticsRowCountSql, ticketAnalyticsSql } from './ticket-analytics-sql';

/** The statement's output column of each of the source's column keys. */
const OUTPUT: Readonly<Record<string, string>> = {
  date: 'date',
  team: 'team',
  created: 'created',
  resolved: 'resolved',
  closed: 'closed',
  medianResolutionHours: 'median_resolution_hours',
  p90ResolutionHours: 'p90_resolution_hours',
  slaBreaches: 'sla_breaches',
  openAtEndOfDay: 'open_at_end_of_day',
};

/** A COPY takes no bind parameters: each value travels as a transaction setting, NULL as '' (read back by NULLIF). */
const fromSetting = (index: number, type: string): string =>
  `NULLIF(current_setting('${SETTING_PREFIX}${index}'), '')::${type}`;

const settingText = (value: unknown): string => (value === null ? '' : toSettingText(value));

/**
 * `ticket-analytics` on the export engine: the statement of ticket-analytics-sql.ts (one row per day x team, in the
 * job's time zone, as of the job's requestedAt), its cells projected per format like every source's, and its row
 * count from the tenant's teams alone. Rows by day (the request's direction), then teams by name, the row of
 * tickets without a team last; team names are unique within a tenant, so the order is total.
 */
export const TICKET_ANALYTICS_SQL: ExportSourceSql = {
  columns: columnsOf(TICKET_ANALYTICS_SOURCE),

  count: (request) =>
    ticketAnalyticsRowCountSql({ tenantId: request.tenantId, ...ticketAnalyticsRange(request.query) }),

  copy(request, format) {
    const range = ticketAnalyticsRange(request.query);
    const statement = ticketAnalyticsSql(
      {
        tenantId: request.tenantId,
        timeZone: request.query.timezone,
        from: range.from,
        to: range.to,
        snapshotAt: request.requestedAt,
      },
      fromSetting,
    );
    const columns = TICKET_ANALYTICS_SQL.columns(request.query).map((column) => ({
      key: column.key,
      type: column.type,
      sql: `a.${OUTPUT[column.key]}`,
    }));
    const items = projectColumns(format, columns).map((item) => `${item.sql} AS "${item.alias}"`);
    const direction = request.query.sort[0]?.direction === 'desc' ? 'DESC' : 'ASC';
    return {
      setup: settingsSetup(statement.values.map(settingText)),
      text: `SELECT ${items.join(', ')}\n  FROM (${statement.text}) a\n ORDER BY a.date ${direction}, a.team = '', a.team`,
    };
  },
};
