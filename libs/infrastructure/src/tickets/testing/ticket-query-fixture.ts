/**
 * What the `ticket-query-builder.*.int-spec.ts` files share: a tenant of named tickets (`Fixture`), the query the
 * API builds from a request (`request`), and the reference time of every context.
 */
import {
  buildTicketQuery,
  type TicketCondition,
  type TicketQuery,
  type TicketQueryRefinement,
  type TicketSort,
} from '@app/domain';
import type { Pool } from 'pg';
import {
  createTestTenant,
  insertTickets,
  type TestTenant,
  type TicketSpec,
} from '../../../../../test/support/factories';
import { TicketQueryBuilder, type TicketQueryContext } from '../ticket-query-builder';

/** The reference time of every context here: `within_past_days` counts back from it. */
export const NOW = new Date('2026-06-15T12:00:00Z');
export const BY_ID: TicketSort[] = [{ field: 'id', direction: 'asc' }];

export interface Row {
  readonly id: string;
  readonly [column: string]: unknown;
}

export interface Filters {
  readonly and?: readonly TicketCondition[];
  readonly or?: readonly TicketCondition[];
}

/** A query as the API builds it: no view, only the id column, the given filters, search and sort. */
export function request(refinement: {
  filters?: Filters;
  search?: string;
  sort?: readonly TicketSort[];
}): TicketQuery {
  const { filters, search, sort = BY_ID } = refinement;
  const body: TicketQueryRefinement = {
    columns: ['id'],
    sort,
    search,
    filters: filters && { and: filters.and ?? [], or: filters.or ?? [] },
  };
  return buildTicketQuery(null, body);
}

/**
 * A tenant of its own with named tickets. Results are read back as the tickets' names, so a failing assertion
 * shows which tickets are wrong, not which bigints.
 */
export class Fixture<K extends string> {
  private readonly names: ReadonlyMap<string, K>;

  private constructor(
    readonly pool: Pool,
    readonly tenant: TestTenant,
    readonly ids: Readonly<Record<K, string>>,
  ) {
    this.names = new Map((Object.keys(ids) as K[]).map((name) => [ids[name], name]));
  }

  /** Inserts the tickets in the order of the object's keys, so ascending id order is the keys' order. */
  static async create<K extends string>(
    pool: Pool,
    tickets: Readonly<Record<K, TicketSpec>>,
    tenant?: TestTenant,
  ): Promise<Fixture<K>> {
    const owner = tenant ?? (await createTestTenant(pool));
    const names = Object.keys(tickets) as K[];
    const ids = await insertTickets(
      pool,
      owner,
      names.map((name) => tickets[name]),
    );
    const byName = Object.fromEntries(names.map((name, i) => [name, ids[i]])) as Record<K, string>;
    return new Fixture(pool, owner, byName);
  }

  context(overrides: Partial<TicketQueryContext> = {}): TicketQueryContext {
    return {
      tenantId: this.tenant.id,
      me: this.tenant.userId('agent'),
      now: NOW,
      timezone: 'UTC',
      ...overrides,
    };
  }

  /** The names of the listed tickets in list order; also checks that count() agrees with the list. */
  async list(query: TicketQuery, context: Partial<TicketQueryContext> = {}): Promise<string[]> {
    const builder = new TicketQueryBuilder(query, this.context(context));
    const [{ rows }, { rows: counted }] = await Promise.all([
      this.pool.query<Row>(builder.select()),
      this.pool.query<{ count: string }>(builder.count()),
    ]);
    expect(Number(counted[0].count)).toBe(rows.length);
    return rows.map((row) => this.names.get(row.id) ?? `foreign ticket ${row.id}`);
  }

  /** The tickets that match, in id order (= the order of the fixture's keys). */
  find(filters: Filters, context: Partial<TicketQueryContext> = {}): Promise<string[]> {
    return this.list(request({ filters }), context);
  }
}

/** The error `run` fails with (undefined when it succeeds). */
export async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

export const at = (iso: string): Date => new Date(iso);
