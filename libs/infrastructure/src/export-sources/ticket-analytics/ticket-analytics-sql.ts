/**
 * The `ticket-analytics` source's one statement: a row per local day x team of a date range, computed by
 * PostgreSQL in the export's snapshot. Pure: it builds SQL text and its values and touches no connection.
 *
 * Definitions (the README's "ticket-analytics" section says the same for users):
 * - A day is a calendar day in `timeZone` (an IANA name): an instant belongs to the day its local date names, so a
 *   day across a DST change lasts 23 or 25 hours and a ticket at 23:30 local counts on that day, not the next.
 * - The snapshot: a ticket counts only when created at or before `snapshotAt` and not deleted by then
 *   (`deleted_at <= snapshotAt` excludes it); a resolution, closing or SLA deadline after `snapshotAt` has not
 *   happened yet and counts nowhere.
 * - `created`, `resolved`, `closed`: tickets whose creation_time, resolved_at, closed_at fall on that day.
 * - `median_resolution_hours`, `p90_resolution_hours`: percentile_cont (linear interpolation) of
 *   resolved_at - creation_time in hours over the tickets resolved that day, rounded to 2 decimals; NULL when none.
 * - `sla_breaches`: tickets whose sla_due_at falls on that day and that were not resolved by sla_due_at (resolved
 *   later, or not at all as of the snapshot). We use the timestamps, not `sla_status`: sla_status is the ticket's
 *   state now, with no time attached, so it cannot say on which day a breach happened nor whether it had happened
 *   at the snapshot. The seed writes sla_status consistent with these timestamps.
 * - `open_at_end_of_day`: tickets created by the end of that day and not closed (closed_at) by then. A solved
 *   ticket that is not closed yet is still open here: closing is what ends the ticket's life in the backlog. A
 *   closed_at stamped before creation_time (never written by the service) counts as closed at creation.
 * - `team`: the team's name. Tickets without a team form their own row per day whose team is the empty string,
 *   after the named teams: empty because a team may well be called "No team", and the empty name is the one no
 *   team can be confused with. With `teamIds`, only those teams appear (and no row for tickets without a team).
 *
 * Efficiency: one scan of the tenant's tickets created before the range's end (tickets closed before the range
 * starts, with nothing else in it, are dropped by the scan's filter). Each timestamp becomes a day number by
 * width_bucket over the range's day boundaries, computed once in the time zone (a binary search, where AT TIME
 * ZONE per timestamp cost more than the scan). The scanned rows are kept once (MATERIALIZED) and aggregated per
 * team and day in four hash aggregates (created, resolved with its percentiles, closed, breached); the open backlog
 * is a running sum of created minus closed per team, into which tickets created before the range enter on its
 * first day. No per-day subquery ever reads tickets.
 *
 * Each bind parameter appears exactly once, in the `params` CTE, so the statement can be turned into one that
 * reads its values from settings (COPY takes no bind parameters): pass `placeholder`.
 */
export interface TicketAnalyticsInput {
  readonly tenantId: string;
  /** IANA time zone that defines the days. */
  readonly timeZone: string;
  /** First day, inclusive, as YYYY-MM-DD. */
  readonly from: string;
  /** Last day, inclusive, as YYYY-MM-DD. */
  readonly to: string;
  readonly snapshotAt: Date;
  /** Only these teams (ids); absent: every team of the tenant plus the row for tickets without a team. */
  readonly teamIds?: readonly string[];
}

export interface TicketAnalyticsStatement {
  readonly text: string;
  readonly values: unknown[];
}

/** Columns of a row, in order. */
export const TICKET_ANALYTICS_COLUMNS = [
  'date',
  'team',
  'created',
  'resolved',
  'closed',
  'median_resolution_hours',
  'p90_resolution_hours',
  'sla_breaches',
  'open_at_end_of_day',
] as const;

/** The label of the row for tickets without a team. */
export const NO_TEAM_LABEL = '';

export const MAX_ANALYTICS_DAYS = 366;

/** How a parameter appears in SQL: `$n::type` by default. */
export type Placeholder = (index: number, type: string) => string;

const bindParameter: Placeholder = (index, type) => `$${index}::${type}`;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since the epoch of a YYYY-MM-DD date; throws on anything that is not a real calendar date. */
function dayNumber(date: string, name: string): number {
  const match = DAY.exec(date);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date)
    throw new RangeError(`ticket analytics: ${name} must be a calendar date YYYY-MM-DD, got "${date}"`);
  return ms / 86_400_000;
}

/**
 * The number of days of [from, to], both included. Throws when the range is reversed or longer than 366 days:
 * the request parser rejects those with a 400 first; reaching here with one is a programming error.
 */
export function analyticsDayCount(from: string, to: string): number {
  const days = dayNumber(to, 'to') - dayNumber(from, 'from') + 1;
  if (days < 1) throw new RangeError(`ticket analytics: from (${from}) is after to (${to})`);
  if (days > MAX_ANALYTICS_DAYS)
    throw new RangeError(`ticket analytics: ${days} days, at most ${MAX_ANALYTICS_DAYS} are allowed`);
  return days;
}

/**
 * The number of rows the statement yields (days x teams, plus the no-team row when not filtering by team), for
 * progress and the job's total: it reads the tenant's teams only, never a ticket.
 */
export function ticketAnalyticsRowCountSql(
  input: Pick<TicketAnalyticsInput, 'tenantId' | 'from' | 'to' | 'teamIds'>,
  placeholder: Placeholder = bindParameter,
): TicketAnalyticsStatement {
  const days = analyticsDayCount(input.from, input.to);
  const teamIds = input.teamIds === undefined ? null : [...input.teamIds];
  return {
    text: `SELECT (${placeholder(1, 'integer')} * (count(te.id) + CASE WHEN p.team_ids IS NULL THEN 1 ELSE 0 END))::bigint AS count
  FROM (SELECT ${placeholder(2, 'uuid')} AS tenant_id, ${placeholder(3, 'uuid[]')} AS team_ids) p
  LEFT JOIN teams te ON te.tenant_id = p.tenant_id AND (p.team_ids IS NULL OR te.id = ANY (p.team_ids))
 GROUP BY p.team_ids`,
    values: [days, input.tenantId, teamIds],
  };
}

/** The statement; see the file's comment for what each column means. */
export function ticketAnalyticsSql(
  input: TicketAnalyticsInput,
  placeholder: Placeholder = bindParameter,
): TicketAnalyticsStatement {
  analyticsDayCount(input.from, input.to);
  const p = placeholder;
  // The key that stands for "no team" in joins: hashable, unlike IS NOT DISTINCT FROM on a NULL team_id.
  const noTeam = `'00000000-0000-0000-0000-000000000000'::uuid`;
  const text = `WITH params AS (
  SELECT ${p(1, 'uuid')} AS tenant_id, ${p(2, 'text')} AS tz, ${p(3, 'date')} AS from_day, ${p(4, 'date')} AS to_day,
         ${p(5, 'timestamptz')} AS snapshot_at, ${p(6, 'uuid[]')} AS team_ids
), bounds AS (
  SELECT params.*, (to_day - from_day + 1) AS days,
         ARRAY(SELECT d::date::timestamp AT TIME ZONE tz FROM generate_series(from_day, to_day + 1, interval '1 day') d)
           AS edges
    FROM params
), team_rows AS (
  SELECT te.id AS team_key, te.name AS team, 0 AS team_rank
    FROM bounds b JOIN teams te ON te.tenant_id = b.tenant_id AND (b.team_ids IS NULL OR te.id = ANY (b.team_ids))
  UNION ALL
  SELECT ${noTeam}, '${NO_TEAM_LABEL}', 1 FROM bounds WHERE team_ids IS NULL
), live AS MATERIALIZED (
  SELECT coalesce(t.team_id, ${noTeam}) AS team_key,
         width_bucket(t.creation_time, b.edges) AS created,
         width_bucket(CASE WHEN t.resolved_at <= b.snapshot_at THEN t.resolved_at END, b.edges) AS resolved,
         CASE WHEN t.resolved_at <= b.snapshot_at
              THEN extract(epoch FROM t.resolved_at - t.creation_time)::float8 / 3600 END AS hours,
         width_bucket(CASE WHEN t.closed_at <= b.snapshot_at THEN greatest(t.closed_at, t.creation_time) END, b.edges)
           AS closed,
         width_bucket(CASE WHEN t.sla_due_at <= b.snapshot_at AND (t.resolved_at IS NULL OR t.resolved_at > t.sla_due_at)
                           THEN t.sla_due_at END, b.edges) AS breached
    FROM bounds b JOIN tickets t ON t.tenant_id = b.tenant_id
   WHERE t.creation_time <= b.snapshot_at AND t.creation_time < b.edges[b.days + 1]
     AND (t.deleted_at IS NULL OR t.deleted_at > b.snapshot_at)
     AND (b.team_ids IS NULL OR t.team_id = ANY (b.team_ids))
     AND (t.creation_time >= b.edges[1] OR t.closed_at IS NULL OR t.closed_at >= b.edges[1]
          OR t.closed_at > b.snapshot_at OR t.resolved_at >= b.edges[1] OR t.sla_due_at >= b.edges[1])
), per_day AS (
  SELECT l.team_key, greatest(l.created, 1) AS bucket, count(*) FILTER (WHERE l.created >= 1) AS created,
         0 AS resolved, NULL::float8[] AS hours, 0 AS closed, 0 AS sla_breaches, count(*) AS open_delta
    FROM bounds b, live l WHERE l.created <= b.days GROUP BY l.team_key, greatest(l.created, 1)
  UNION ALL
  SELECT l.team_key, l.resolved, 0, count(*),
         percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY l.hours), 0, 0, 0
    FROM bounds b, live l WHERE l.resolved BETWEEN 1 AND b.days GROUP BY l.team_key, l.resolved
  UNION ALL
  SELECT l.team_key, greatest(l.closed, 1), 0, 0, NULL, count(*) FILTER (WHERE l.closed >= 1), 0, -count(*)
    FROM bounds b, live l WHERE l.closed <= b.days GROUP BY l.team_key, greatest(l.closed, 1)
  UNION ALL
  SELECT l.team_key, l.breached, 0, 0, NULL, 0, count(*), 0
    FROM bounds b, live l WHERE l.breached BETWEEN 1 AND b.days GROUP BY l.team_key, l.breached
), totals AS (
  SELECT team_key, bucket, sum(created) AS created, sum(resolved) AS resolved, max(hours) AS hours,
         sum(closed) AS closed, sum(sla_breaches) AS sla_breaches, sum(open_delta) AS open_delta
    FROM per_day GROUP BY team_key, bucket
)
SELECT to_char(b.from_day + d.bucket - 1, 'YYYY-MM-DD') AS date,
       tr.team,
       coalesce(t.created, 0)::integer AS created,
       coalesce(t.resolved, 0)::integer AS resolved,
       coalesce(t.closed, 0)::integer AS closed,
       round(t.hours[1]::numeric, 2) AS median_resolution_hours,
       round(t.hours[2]::numeric, 2) AS p90_resolution_hours,
       coalesce(t.sla_breaches, 0)::integer AS sla_breaches,
       (sum(coalesce(t.open_delta, 0)) OVER (PARTITION BY tr.team_key ORDER BY d.bucket))::integer AS open_at_end_of_day
  FROM bounds b
 CROSS JOIN LATERAL generate_series(1, b.days) AS d (bucket)
 CROSS JOIN team_rows tr
  LEFT JOIN totals t ON t.team_key = tr.team_key AND t.bucket = d.bucket
 ORDER BY d.bucket, tr.team_rank, tr.team, tr.team_key`;
  const values = [
    input.tenantId,
    input.timeZone,
    input.from,
    input.to,
    input.snapshotAt.toISOString(),
    input.teamIds === undefined ? null : [...input.teamIds],
  ];
  return { text, values };
}
