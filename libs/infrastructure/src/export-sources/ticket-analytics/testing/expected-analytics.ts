/**
 * The ticket-analytics rows computed in TypeScript from the tickets a spec inserted, independently of the SQL: days
 * are local dates from Intl (never day boundaries or AT TIME ZONE), percentiles are computed on sorted arrays.
 * The definitions are the ones in ticket-analytics-sql.ts; nothing here is shared with it.
 */
export interface AnalyticsTicket {
  readonly team: string | null;
  readonly creationTime: Date;
  readonly resolvedAt: Date | null;
  readonly closedAt: Date | null;
  readonly slaDueAt: Date | null;
  readonly deletedAt: Date | null;
}

export interface AnalyticsRow {
  date: string;
  team: string;
  created: number;
  resolved: number;
  closed: number;
  median_resolution_hours: string | null;
  p90_resolution_hours: string | null;
  sla_breaches: number;
  open_at_end_of_day: number;
}

export interface ExpectedAnalyticsInput {
  readonly tickets: readonly AnalyticsTicket[];
  /** Every team of the tenant by name; `null` stands for the row of tickets without a team. */
  readonly teams: readonly (string | null)[];
  readonly timeZone: string;
  readonly from: string;
  readonly to: string;
  readonly snapshotAt: Date;
}

export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

function* calendarDays(from: string, to: string): Generator<string> {
  for (let day = new Date(`${from}T00:00:00Z`); day.toISOString().slice(0, 10) <= to;) {
    yield day.toISOString().slice(0, 10);
    day = new Date(day.getTime() + 86_400_000);
  }
}

/** percentile_cont: linear interpolation between the closest ranks, as PostgreSQL computes it. */
function percentileCont(sorted: readonly number[], fraction: number): number {
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** round(x::numeric, 2) as PostgreSQL prints it: x to 15 significant digits, then half away from zero. */
function round2(x: number): string {
  const [whole, fraction = ''] = x.toPrecision(15).split('.');
  const hundredths =
    BigInt(whole + fraction.padEnd(2, '0').slice(0, 2)) + ((fraction[2] ?? '0') >= '5' ? 1n : 0n);
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}

export function expectedAnalytics(input: ExpectedAnalyticsInput): AnalyticsRow[] {
  const { timeZone, snapshotAt } = input;
  const day = (at: Date | null): string | null => (at === null ? null : localDate(at, timeZone));
  const live = input.tickets
    .filter((t) => t.creationTime <= snapshotAt && !(t.deletedAt !== null && t.deletedAt <= snapshotAt))
    .map((t) => {
      const resolvedAt = t.resolvedAt !== null && t.resolvedAt <= snapshotAt ? t.resolvedAt : null;
      const closedAt =
        t.closedAt !== null && t.closedAt <= snapshotAt
          ? new Date(Math.max(t.closedAt.getTime(), t.creationTime.getTime()))
          : null;
      const breached =
        t.slaDueAt !== null &&
        t.slaDueAt <= snapshotAt &&
        (t.resolvedAt === null || t.resolvedAt > t.slaDueAt);
      return {
        team: t.team,
        created: day(t.creationTime) as string,
        resolved: day(resolvedAt),
        hours: resolvedAt === null ? null : (resolvedAt.getTime() - t.creationTime.getTime()) / 3_600_000,
        closed: day(closedAt),
        breached: breached ? day(t.slaDueAt) : null,
      };
    });
  const named = input.teams.filter((t): t is string => t !== null).sort();
  const teams: (string | null)[] = input.teams.includes(null) ? [...named, null] : named;
  const rows: AnalyticsRow[] = [];
  for (const date of calendarDays(input.from, input.to)) {
    for (const team of teams) {
      const mine = live.filter((t) => t.team === team);
      const hours = mine
        .filter((t) => t.resolved === date)
        .map((t) => t.hours as number)
        .sort((a, b) => a - b);
      rows.push({
        date,
        team: team ?? '',
        created: mine.filter((t) => t.created === date).length,
        resolved: hours.length,
        closed: mine.filter((t) => t.closed === date).length,
        median_resolution_hours: hours.length === 0 ? null : round2(percentileCont(hours, 0.5)),
        p90_resolution_hours: hours.length === 0 ? null : round2(percentileCont(hours, 0.9)),
        sla_breaches: mine.filter((t) => t.breached === date).length,
        open_at_end_of_day: mine.filter((t) => t.created <= date && !(t.closed !== null && t.closed <= date))
          .length,
      });
    }
  }
  return rows;
}
