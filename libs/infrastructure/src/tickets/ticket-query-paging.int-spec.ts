import {
  buildTicketQuery,
  type ConditionOperator,
  TICKET_FIELDS,
  type TicketCondition,
  type TicketConditionGroup,
  type TicketFieldKey,
  type TicketQuery,
  type TicketSort,
} from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
  type TicketSpec,
} from '../../../../test/support/factories';
import { Random } from '../../../../test/support/random';
import { type SelectItem, TicketQueryBuilder, type TicketQueryContext } from './ticket-query-builder';
import { TICKET_SQL_FIELDS } from './ticket-sql-fields';

/**
 * Property: for any query, following `cursorAfter(last row)` page by page returns exactly the rows of one unpaged
 * select, in the same order. The data is built so that ties are everywhere: every sort field has two or three
 * values, many NULLs and many empty strings, so most rows differ only in later sort keys or only in id.
 *
 * A failure names its seeds: the data seed builds the tickets, the query seed the query; both are deterministic.
 */
const DATA_SEED = 20_260_615;
const TICKETS = 200;
const QUERY_SEEDS = Array.from({ length: 60 }, (_, i) => 1_000 + i);
const PAGE_SIZES = [1, 7, 1000];

const NOW = new Date('2026-06-15T12:00:00Z');
const TIMES = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.123Z', '2026-01-02T08:30:00.000Z'].map(
  (iso) => new Date(iso),
);
const DELETED = ['2026-01-01T12:00:00Z', '2026-03-01T00:00:00Z'].map((iso) => new Date(iso));
const CUTOFFS = ['2026-01-01T00:00:00.000Z', '2026-01-01T06:00:00Z', '2026-02-01T00:00:00Z'].map(
  (iso) => new Date(iso),
);
const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const SORTABLE = TICKET_FIELDS.filter((f) => f.sortable).map((f) => f.key);

interface Row {
  readonly id: string;
  readonly [column: string]: unknown;
}

function randomTicket(r: Random): TicketSpec {
  const maybe = <T>(nullChance: number, values: readonly T[]): T | null =>
    r.chance(nullChance) ? null : r.pick(values);
  return aTicket({
    title: r.pick(['', 'alpha', 'beta']),
    description: r.pick(['', 'x']),
    status: r.pick(STATUSES.slice(0, r.pick([2, 6]))),
    priority: maybe(0.4, ['normal', 'urgent', 'low']),
    category: maybe(0.4, ['', 'billing']),
    tags: r.sample(['a', 'b'], r.int(0, 2)),
    assignee: maybe(0.5, ['agent', 'grace.hopper']),
    team: maybe(0.5, ['Billing', 'Onboarding']),
    contact: r.chance(0.3)
      ? null
      : { name: r.pick(['', 'ann']), email: maybe(0.5, ['a@x.test', 'b@x.test']) },
    createdBy: maybe(0.3, ['admin', 'agent']),
    creationTime: r.pick(TIMES),
    lastModificationTime: maybe(0.5, TIMES),
    resolvedAt: maybe(0.6, TIMES),
    closedAt: maybe(0.7, TIMES),
    slaDueAt: maybe(0.5, TIMES.slice(0, 2)),
    slaStatus: maybe(0.4, ['', 'ok']),
    language: maybe(0.4, ['', 'en']),
    deletedAt: r.chance(0.1) ? r.pick(DELETED) : null,
  });
}

function randomCondition(r: Random, ids: readonly string[]): TicketCondition {
  switch (r.int(0, 9)) {
    case 0:
      return {
        field: 'status',
        operator: r.pick<ConditionOperator>(['is_any_of', 'is_none_of']),
        values: r.sample(STATUSES, r.int(1, 3)),
      };
    case 1:
      return {
        field: 'priority',
        operator: r.pick<ConditionOperator>(['gt', 'gte', 'lt', 'lte', 'is', 'is_not']),
        value: r.pick(PRIORITIES),
      };
    case 2:
      return {
        field: r.pick<TicketFieldKey>(['priority', 'category', 'team', 'assignee']),
        operator: 'is_empty',
      };
    case 3:
      return {
        field: r.pick<TicketFieldKey>(['language', 'slaStatus', 'contactName', 'contactEmail']),
        operator: r.pick<ConditionOperator>(['is_empty', 'is_not_empty']),
      };
    case 4:
      return {
        field: r.pick<TicketFieldKey>(['language', 'title']),
        operator: r.pick<ConditionOperator>(['eq', 'neq', 'contains', 'not_contains']),
        value: r.pick(['', 'en', 'a', 'alpha']),
      };
    case 5:
      return { field: 'assignee', operator: r.pick<ConditionOperator>(['is', 'is_not']), value: '@me' };
    case 6:
      return {
        field: 'tags',
        operator: r.pick<ConditionOperator>(['is', 'is_not', 'is_empty']),
        value: r.pick(['a', 'b']),
      };
    case 7:
      return {
        field: r.pick<TicketFieldKey>(['creationTime', 'lastModificationTime', 'resolvedAt']),
        operator: r.pick<ConditionOperator>(['before', 'after', 'on_or_before', 'on_or_after']),
        value: r.pick(['2026-01-01', '2026-01-02', '2026-01-01T00:00:00.123Z']),
      };
    case 8:
      return {
        field: r.pick<TicketFieldKey>(['closedAt', 'slaDueAt']),
        operator: r.pick<ConditionOperator>(['is_empty', 'is_not_empty']),
      };
    default:
      return { field: 'id', operator: r.pick<ConditionOperator>(['gt', 'lte', 'neq']), value: r.pick(ids) };
  }
}

function randomQuery(r: Random, ids: readonly string[]): TicketQuery {
  const sort = r
    .sample(SORTABLE, r.int(0, 3))
    .map((field): TicketSort => ({ field, direction: r.pick(['asc', 'desc'] as const) }));
  // Each group goes through request validation, as the API's would: the builder gets what it gets in production.
  const conditions = Array.from({ length: r.pick([0, 1, 1, 2]) }).flatMap(
    (): readonly TicketConditionGroup[] => {
      const group = {
        and: Array.from({ length: r.int(0, 2) }, () => randomCondition(r, ids)),
        or: Array.from({ length: r.pick([0, 0, 2, 3]) }, () => randomCondition(r, ids)),
      };
      return buildTicketQuery(null, { filters: group }).conditions;
    },
  );
  const search = r.chance(0.15) ? r.pick(['alp', 'ANN', 'a@x', '@x.test']) : null;
  return { columns: ['id'], conditions, sort, search };
}

function randomContext(r: Random, tenant: TestTenant): TicketQueryContext {
  return {
    tenantId: tenant.id,
    me: tenant.userId('agent'),
    now: NOW,
    timezone: r.pick(['UTC', 'Europe/Paris', 'America/New_York']),
    cutoff: r.chance(0.3) ? r.pick(CUTOFFS) : undefined,
  };
}

/**
 * The order the contract promises, computed in JS from the sort values: NULLs last in both directions, then id in
 * the direction of the last level (ascending without a sort). Text values here are lower-case ASCII or names that
 * differ in their first letter, so JS order and the database collation agree.
 */
function compareRows(a: Row, b: Row, sort: readonly TicketSort[]): number {
  for (const [i, level] of sort.entries()) {
    const x = a[`s${i}`];
    const y = b[`s${i}`];
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
      continue;
    }
    const order = compareValues(level.field, x, y);
    if (order !== 0) return level.direction === 'asc' ? order : -order;
  }
  if (sort.some((level) => level.field === 'id')) return 0;
  const byId = compareValues('id', a.id, b.id);
  return (sort.at(-1)?.direction ?? 'asc') === 'asc' ? byId : -byId;
}

function compareValues(field: TicketFieldKey, x: unknown, y: unknown): number {
  if (field === 'id') return Math.sign(Number(BigInt(String(x)) - BigInt(String(y))));
  if (x instanceof Date && y instanceof Date) return Math.sign(x.getTime() - y.getTime());
  if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  throw new Error(`cannot compare ${String(x)} and ${String(y)} of ${field}`);
}

/** id plus each sort level's raw sort value as s0, s1, ... */
function selectFor(query: TicketQuery): SelectItem[] {
  return [
    { alias: 'id', sql: 't.id' },
    ...query.sort.map((level, i) => {
      const sql = TICKET_SQL_FIELDS[level.field].sort;
      if (sql === undefined) throw new Error(`${level.field} has no sort expression`);
      return { alias: `s${i}`, sql };
    }),
  ];
}

describe('TicketQueryBuilder paging (property)', () => {
  let pool: Pool;
  let tenant: TestTenant;
  let ids: string[];

  beforeAll(async () => {
    pool = testPool();
    tenant = await createTestTenant(pool);
    const r = new Random(DATA_SEED);
    ids = await insertTickets(
      pool,
      tenant,
      Array.from({ length: TICKETS }, () => randomTicket(r)),
    );
  });

  afterAll(async () => {
    await pool.end();
  });

  /** Every page, each read by a builder of its own as separate requests would, from the previous page's cursor. */
  async function paged(query: TicketQuery, context: TicketQueryContext, pageSize: number): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page <= TICKETS + 1; page += 1) {
      const builder = new TicketQueryBuilder(query, context);
      const { rows } = await pool.query<Row>(builder.select({ after, limit: pageSize }));
      seen.push(...rows.map((row) => row.id));
      if (rows.length < pageSize) return seen;
      after = builder.cursorAfter(rows[rows.length - 1]);
    }
    throw new Error(`paging by ${pageSize} did not end after ${TICKETS + 2} pages`);
  }

  /** What is wrong with the query's list: count, duplicates, order, and each page size against the unpaged list. */
  async function problemsWith(query: TicketQuery, context: TicketQueryContext): Promise<string[]> {
    const builder = new TicketQueryBuilder(query, context);
    const [{ rows }, { rows: counted }] = await Promise.all([
      pool.query<Row>(builder.select({ select: selectFor(query) })),
      pool.query<{ count: string }>(builder.count()),
    ]);
    const unpaged = rows.map((row) => row.id);
    const problems: string[] = [];
    if (Number(counted[0].count) !== unpaged.length)
      problems.push(`count() ${counted[0].count} but ${unpaged.length} rows`);
    if (new Set(unpaged).size !== unpaged.length) problems.push('the unpaged list repeats a row');
    const disorder = rows.findIndex((row, i) => i > 0 && compareRows(rows[i - 1], row, query.sort) >= 0);
    if (disorder > 0) {
      problems.push(
        `unpaged rows ${disorder - 1} and ${disorder} out of order: ${JSON.stringify([rows[disorder - 1], rows[disorder]])}`,
      );
    }
    for (const pageSize of PAGE_SIZES) {
      const got = await paged(query, context, pageSize);
      const at = got.findIndex((id, i) => id !== unpaged[i]);
      if (at >= 0 || got.length !== unpaged.length) {
        problems.push(
          `page size ${pageSize}: ${got.length} rows instead of ${unpaged.length}, first difference at ${at < 0 ? unpaged.length : at} (expected ${unpaged[at] ?? 'end'}, got ${got[at] ?? 'end'})`,
        );
      }
    }
    return problems;
  }

  it.each(QUERY_SEEDS)(
    'query seed %i: every page size returns the unpaged rows in the unpaged order',
    async (seed) => {
      const r = new Random(seed);
      const query = randomQuery(r, ids);
      const context = randomContext(r, tenant);
      const replay = `data seed ${DATA_SEED}, query seed ${seed}: ${JSON.stringify({ query, context })}`;
      const problems = await problemsWith(query, context).catch((error: unknown) => [
        `the query failed: ${error instanceof Error ? error.message : String(error)}`,
      ]);
      expect(problems.map((problem) => `${problem}\n  replay: ${replay}`)).toEqual([]);
    },
  );

  // A query that lists nothing proves little about paging: make sure the generated ones are worth their time.
  it('the generated queries list enough rows to page through, with ties and NULLs on their sort keys', async () => {
    let nonEmpty = 0;
    let multiLevel = 0;
    for (const seed of QUERY_SEEDS) {
      const r = new Random(seed);
      const query = randomQuery(r, ids);
      const context = randomContext(r, tenant);
      const { rows } = await pool.query<Row>(new TicketQueryBuilder(query, context).count());
      if (Number(rows[0].count) >= 10) nonEmpty += 1;
      if (query.sort.length >= 2) multiLevel += 1;
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(QUERY_SEEDS.length / 2);
    expect(multiLevel).toBeGreaterThanOrEqual(QUERY_SEEDS.length / 4);
    const { rows } = await pool.query<{ nulls: string; ties: string }>(
      `SELECT count(*) FILTER (WHERE priority_id IS NULL) AS nulls,
              count(*) - count(DISTINCT (title, priority_id, creation_time)) AS ties
         FROM tickets WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(Number(rows[0].nulls)).toBeGreaterThan(TICKETS / 5);
    expect(Number(rows[0].ties)).toBeGreaterThan(TICKETS / 2);
  });
});
