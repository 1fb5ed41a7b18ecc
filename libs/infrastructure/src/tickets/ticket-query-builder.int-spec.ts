import {
  buildTicketQuery,
  type ConditionOperator,
  operatorsFor,
  TICKET_FIELDS,
  type TicketCondition,
  type TicketFieldKey,
  type TicketQuery,
  type TicketQueryRefinement,
  type TicketSort,
  type TicketViewDefinition,
  ValidationError,
} from '@app/domain';
import { ACME } from '@app/infrastructure/seed/reference-data';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
  type TicketSpec,
} from '../../../../test/support/factories';
import { TicketQueryBuilder, type TicketQueryContext } from './ticket-query-builder';

/** The reference time of every context here: `within_past_days` counts back from it. */
const NOW = new Date('2026-06-15T12:00:00Z');
const BY_ID: TicketSort[] = [{ field: 'id', direction: 'asc' }];

interface Row {
  readonly id: string;
  readonly [column: string]: unknown;
}

interface Filters {
  readonly and?: readonly TicketCondition[];
  readonly or?: readonly TicketCondition[];
}

/** A query as the API builds it: no view, only the id column, the given filters, search and sort. */
function request(refinement: {
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
class Fixture<K extends string> {
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
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const at = (iso: string): Date => new Date(iso);

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  describe('text operators', () => {
    const ticket = (
      title: string,
      description: string,
      language: string | null,
      slaStatus: string | null,
      contact: TicketSpec['contact'],
    ): TicketSpec => aTicket({ title, description, language, slaStatus, contact });
    const tickets = {
      x1: ticket('Printer on fire', 'The office PRINTER is smoking', 'en', 'breached', {
        name: 'Alice Example',
        email: 'alice@example.com',
      }),
      x2: ticket('printer jam', 'Paper stuck', 'EN', 'ok', { name: 'Bob Buyer', email: null }),
      x3: ticket('Fire alarm', '', null, null, null),
      x4: ticket('Refund 100% now', 'Wants 100 percent back', '', '', { name: '', email: '' }),
      x5: ticket('a_b literal', 'underscore', 'de', 'breached', {
        name: 'Carol 50% off',
        email: 'carol@EXAMPLE.org',
      }),
      x6: ticket('aXb wildcard bait', 'percent 100 sign', 'fr', 'ok', {
        name: 'Dave',
        email: 'dave@example.com',
      }),
      x7: ticket('@me', 'literally at-me', 'en', null, null),
      x8: ticket("'; DROP TABLE tickets; --", 'sql', null, null, null),
      x9: ticket('%_ like wildcards %', 'like', null, null, null),
      x10: ticket('C:\\temp\\new', 'path', null, null, null),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it.each<[string, TicketCondition, Name[]]>([
      ['eq matches the exact value', { field: 'title', operator: 'eq', value: 'printer jam' }, ['x2']],
      ['eq is case-sensitive', { field: 'title', operator: 'eq', value: 'Printer Jam' }, []],
      ['eq on a joined field', { field: 'contactName', operator: 'eq', value: 'Bob Buyer' }, ['x2']],
      [
        'neq keeps NULL and empty values',
        { field: 'language', operator: 'neq', value: 'en' },
        ['x2', 'x3', 'x4', 'x5', 'x6', 'x8', 'x9', 'x10'],
      ],
      ['contains ignores case', { field: 'title', operator: 'contains', value: 'PRINTER' }, ['x1', 'x2']],
      [
        'not_contains ignores case',
        { field: 'title', operator: 'not_contains', value: 'printer' },
        ['x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10'],
      ],
      [
        'not_contains counts NULL as not containing',
        { field: 'language', operator: 'not_contains', value: 'E' },
        ['x3', 'x4', 'x6', 'x8', 'x9', 'x10'],
      ],
      [
        'not_contains on the description',
        { field: 'description', operator: 'not_contains', value: 'PERCENT' },
        ['x1', 'x2', 'x3', 'x5', 'x7', 'x8', 'x9', 'x10'],
      ],
      ['starts_with ignores case', { field: 'title', operator: 'starts_with', value: 'fire' }, ['x3']],
      ['ends_with ignores case', { field: 'title', operator: 'ends_with', value: 'FIRE' }, ['x1']],
      [
        'starts_with on a nullable field',
        { field: 'slaStatus', operator: 'starts_with', value: 'BR' },
        ['x1', 'x5'],
      ],
      [
        'ends_with on a joined field',
        { field: 'contactEmail', operator: 'ends_with', value: 'example.org' },
        ['x5'],
      ],
      [
        'is_empty holds for NULL and for an empty string',
        { field: 'language', operator: 'is_empty' },
        ['x3', 'x4', 'x8', 'x9', 'x10'],
      ],
      [
        'is_not_empty excludes NULL and the empty string',
        { field: 'language', operator: 'is_not_empty' },
        ['x1', 'x2', 'x5', 'x6', 'x7'],
      ],
      [
        'is_empty on a contact e-mail: no contact, NULL or empty',
        { field: 'contactEmail', operator: 'is_empty' },
        ['x2', 'x3', 'x4', 'x7', 'x8', 'x9', 'x10'],
      ],
      [
        'is_not_empty on a nullable field',
        { field: 'slaStatus', operator: 'is_not_empty' },
        ['x1', 'x2', 'x5', 'x6'],
      ],
      [
        'contains "%" matches a literal percent sign',
        { field: 'title', operator: 'contains', value: '%' },
        ['x4', 'x9'],
      ],
      [
        'contains "_" matches a literal underscore',
        { field: 'title', operator: 'contains', value: '_' },
        ['x5', 'x9'],
      ],
      [
        'contains "a_b" does not treat "_" as any character',
        { field: 'title', operator: 'contains', value: 'a_b' },
        ['x5'],
      ],
      ['contains "%_" is literal', { field: 'title', operator: 'contains', value: '%_' }, ['x9']],
      ['starts_with "%" is literal', { field: 'title', operator: 'starts_with', value: '%' }, ['x9']],
      ['ends_with "%" is literal', { field: 'title', operator: 'ends_with', value: '%' }, ['x9']],
      ['contains a backslash is literal', { field: 'title', operator: 'contains', value: '\\t' }, ['x10']],
      ['a lone backslash is literal', { field: 'title', operator: 'ends_with', value: '\\new' }, ['x10']],
      [
        'contains "50%" on a joined field',
        { field: 'contactName', operator: 'contains', value: '50%' },
        ['x5'],
      ],
      ['"@me" is only special for the assignee', { field: 'title', operator: 'eq', value: '@me' }, ['x7']],
      [
        'an SQL-looking value is matched literally',
        { field: 'title', operator: 'eq', value: "'; DROP TABLE tickets; --" },
        ['x8'],
      ],
      [
        'contains an SQL-looking value',
        { field: 'title', operator: 'contains', value: "'; drop table" },
        ['x8'],
      ],
      [
        'eq with LIKE wildcards is literal',
        { field: 'title', operator: 'eq', value: '%_ like wildcards %' },
        ['x9'],
      ],
    ])('%s', async (_name, condition, expected) => {
      expect(await fx.find({ and: [condition] })).toEqual(expected);
    });

    it('leaves the tickets table intact after SQL-looking values', async () => {
      await fx.find({ and: [{ field: 'title', operator: 'contains', value: "'; DROP TABLE tickets; --" }] });
      const { rows } = await pool.query<{ count: string }>(
        'SELECT count(*) AS count FROM tickets WHERE tenant_id = $1',
        [fx.tenant.id],
      );
      expect(Number(rows[0].count)).toBe(Object.keys(tickets).length);
    });
  });

  describe('number operators on id', () => {
    const tickets = { n1: aTicket(), n2: aTicket(), n3: aTicket(), n4: aTicket() };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it.each<[ConditionOperator, Name, Name[]]>([
      ['eq', 'n2', ['n2']],
      ['neq', 'n2', ['n1', 'n3', 'n4']],
      ['gt', 'n2', ['n3', 'n4']],
      ['gte', 'n2', ['n2', 'n3', 'n4']],
      ['lt', 'n3', ['n1', 'n2']],
      ['lte', 'n3', ['n1', 'n2', 'n3']],
    ])('id %s %s', async (operator, pivot, expected) => {
      const asNumber = await fx.find({ and: [{ field: 'id', operator, value: Number(fx.ids[pivot]) }] });
      const asString = await fx.find({ and: [{ field: 'id', operator, value: fx.ids[pivot] }] });
      expect(asNumber).toEqual(expected);
      expect(asString).toEqual(expected);
    });

    it('finds an id beyond 2^53 exactly', async () => {
      const big = (9_007_199_254_740_993n + 2n * BigInt(Math.floor(Math.random() * 1e9))).toString();
      const [id] = await insertTickets(pool, fx.tenant, [aTicket({ title: 'big id' })]);
      await pool.query('UPDATE tickets SET id = $1 WHERE id = $2', [big, id]);
      try {
        const builder = new TicketQueryBuilder(
          request({ filters: { and: [{ field: 'id', operator: 'eq', value: big }] } }),
          fx.context(),
        );
        const { rows } = await pool.query<Row>(builder.select());
        expect(rows.map((row) => row.id)).toEqual([big]);
      } finally {
        await pool.query('DELETE FROM tickets WHERE id = $1', [big]);
      }
    });
  });

  describe('date operators', () => {
    const dates = (overrides: Partial<TicketSpec>): TicketSpec =>
      aTicket({ resolvedAt: null, slaDueAt: null, lastModificationTime: null, closedAt: null, ...overrides });
    const tickets = {
      // resolvedAt around midnight of 2026-03-10: Paris is UTC+1 then.
      S: dates({ resolvedAt: at('2026-03-09T22:30:00Z') }), // Paris 03-09 23:30
      P: dates({ resolvedAt: at('2026-03-09T23:30:00Z') }), // Paris 03-10 00:30, UTC 03-09
      Q: dates({ resolvedAt: at('2026-03-10T22:30:00Z') }), // Paris 03-10 23:30, UTC 03-10
      R: dates({ resolvedAt: at('2026-03-10T23:30:00Z') }), // Paris 03-11 00:30, UTC 03-10
      T: dates({ resolvedAt: at('2026-03-11T12:00:00Z') }),
      // slaDueAt around 2026-03-29, the 23-hour day when Paris moves to summer time.
      U0: dates({ slaDueAt: at('2026-03-28T22:30:00Z') }), // Paris 03-28 23:30
      U1: dates({ slaDueAt: at('2026-03-28T23:30:00Z') }), // Paris 03-29 00:30
      U2: dates({ slaDueAt: at('2026-03-29T21:30:00Z') }), // Paris 03-29 23:30 (summer time)
      U3: dates({ slaDueAt: at('2026-03-29T22:30:00Z') }), // Paris 03-30 00:30
      // lastModificationTime around NOW - 7 days and NOW.
      W1: dates({ lastModificationTime: at('2026-06-08T11:59:59.999Z') }),
      W2: dates({ lastModificationTime: at('2026-06-08T12:00:00Z') }),
      W3: dates({ lastModificationTime: at('2026-06-15T12:00:00Z') }),
      W4: dates({ lastModificationTime: at('2026-06-15T12:00:00.001Z') }),
      W5: dates({}),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const resolved = (operator: ConditionOperator, value: string): TicketCondition => ({
      field: 'resolvedAt',
      operator,
      value,
    });

    it.each<[string, ConditionOperator, Name[]]>([
      ['UTC', 'before', ['S', 'P']],
      ['UTC', 'on_or_before', ['S', 'P', 'Q', 'R']],
      ['UTC', 'after', ['T']],
      ['UTC', 'on_or_after', ['Q', 'R', 'T']],
      ['Europe/Paris', 'before', ['S']],
      ['Europe/Paris', 'on_or_before', ['S', 'P', 'Q']],
      ['Europe/Paris', 'after', ['R', 'T']],
      ['Europe/Paris', 'on_or_after', ['P', 'Q', 'R', 'T']],
    ])(
      'a date-only value names a day in the zone: %s, %s 2026-03-10',
      async (timezone, operator, expected) => {
        expect(await fx.find({ and: [resolved(operator, '2026-03-10')] }, { timezone })).toEqual(expected);
      },
    );

    it.each<[string, ConditionOperator, Name[]]>([
      ['2026-03-10T22:30:00Z', 'before', ['S', 'P']],
      ['2026-03-10T22:30:00Z', 'on_or_before', ['S', 'P', 'Q']],
      ['2026-03-10T22:30:00Z', 'after', ['R', 'T']],
      ['2026-03-10T22:30:00Z', 'on_or_after', ['Q', 'R', 'T']],
      ['2026-03-10T23:30:00+01:00', 'before', ['S', 'P']],
      ['2026-03-10T23:30:00+01:00', 'on_or_after', ['Q', 'R', 'T']],
      ['2026-03-10T22:30:00.000001Z', 'before', ['S', 'P', 'Q']],
      ['2026-03-10T22:30:00.000001Z', 'after', ['R', 'T']],
      ['2026-03-10T22:30Z', 'on_or_before', ['S', 'P', 'Q']],
    ])('a date-time value is an instant whatever the zone: %s %s', async (value, operator, expected) => {
      for (const timezone of ['UTC', 'Europe/Paris', 'Pacific/Kiritimati']) {
        expect(await fx.find({ and: [resolved(operator, value)] }, { timezone })).toEqual(expected);
      }
    });

    it('a day in a zone that changes to summer time has 23 hours', async () => {
      const day = (operator: ConditionOperator): TicketCondition => ({
        field: 'slaDueAt',
        operator,
        value: '2026-03-29',
      });
      const filters = { and: [day('on_or_after'), day('on_or_before')] };
      expect(await fx.find(filters, { timezone: 'Europe/Paris' })).toEqual(['U1', 'U2']);
      expect(await fx.find(filters, { timezone: 'UTC' })).toEqual(['U2', 'U3']);
    });

    it('within_past_days counts back from the context time, both ends included', async () => {
      const within = (value: number): Filters => ({
        and: [{ field: 'lastModificationTime', operator: 'within_past_days', value }],
      });
      expect(await fx.find(within(7))).toEqual(['W2', 'W3']);
      expect(await fx.find(within(8))).toEqual(['W1', 'W2', 'W3']);
      expect(await fx.find(within(7), { now: at('2026-06-15T12:00:00.001Z') })).toEqual(['W3', 'W4']);
    });

    it('is_empty and is_not_empty test for NULL', async () => {
      expect(await fx.find({ and: [{ field: 'resolvedAt', operator: 'is_not_empty' }] })).toEqual([
        'S',
        'P',
        'Q',
        'R',
        'T',
      ]);
      expect(await fx.find({ and: [{ field: 'resolvedAt', operator: 'is_empty' }] })).toEqual([
        'U0',
        'U1',
        'U2',
        'U3',
        'W1',
        'W2',
        'W3',
        'W4',
        'W5',
      ]);
      expect(await fx.find({ and: [{ field: 'creationTime', operator: 'is_empty' }] })).toEqual([]);
    });

    it.each<[string, Name[]]>([
      ['0001-01-01', ['S', 'P', 'Q', 'R', 'T']],
      ['9999-12-31', []],
      ['2024-02-29', ['S', 'P', 'Q', 'R', 'T']],
      ['2026-03-11T24:00:00Z', []],
      ['2026-03-11T12:00:00+14:00', ['Q', 'R', 'T']],
      ['2026-03-11T12:00:00-15:59', []],
    ])('an edge date %s that validation accepts runs in Postgres', async (value, expected) => {
      expect(await fx.find({ and: [resolved('on_or_after', value)] })).toEqual(expected);
    });

    it.each([
      '0000-01-01',
      '2026-02-29',
      '2026-01-31T10:00:00+16:00',
      '2026-01-31T10:00:00-23:59',
      '0000-01-01T00:00:00Z',
    ])('a date %s that Postgres would refuse is a validation error, not a database error', async (value) => {
      const error = await failure(() => fx.find({ and: [resolved('on_or_after', value)] }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((e) => e.field)).toEqual(['filters.and[0].value']);
    });
  });

  describe('choice operators', () => {
    const choice = (
      status: string,
      priority: string | null,
      category: string | null,
      team: string | null,
      assignee: string | null,
    ): TicketSpec => aTicket({ status, priority, category, team, assignee });
    const tickets = {
      c1: choice('new', 'urgent', 'Hardware', 'Technical Support', 'grace.hopper'),
      c2: choice('pending', 'high', 'Billing', 'Billing', 'agent'),
      c3: choice('solved', 'low', null, null, null),
      c4: choice('closed', null, '', 'Billing', 'linus.torvalds'),
      c5: choice('on_hold', 'normal', 'Account', 'Technical Support', 'agent'),
      c6: choice('open', 'normal', '@me', null, null),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const team = (name: string) => (t: TestTenant) => t.teamIds[name];
    const user = (localPart: string) => (t: TestTenant) => t.userId(localPart);
    const literal = (value: string) => () => value;
    type Value = (t: TestTenant) => string;
    const one =
      (field: TicketFieldKey, operator: ConditionOperator, value?: Value) =>
      (t: TestTenant): TicketCondition => ({ field, operator, value: value?.(t) });
    const many =
      (field: TicketFieldKey, operator: ConditionOperator, values: Value[]) =>
      (t: TestTenant): TicketCondition => ({ field, operator, values: values.map((v) => v(t)) });

    it.each<[string, (t: TestTenant) => TicketCondition, Name[]]>([
      ['status is', one('status', 'is', literal('pending')), ['c2']],
      ['status is_not', one('status', 'is_not', literal('pending')), ['c1', 'c3', 'c4', 'c5', 'c6']],
      ['status is_any_of', many('status', 'is_any_of', [literal('new'), literal('closed')]), ['c1', 'c4']],
      [
        'status is_none_of',
        many('status', 'is_none_of', [literal('new'), literal('closed')]),
        ['c2', 'c3', 'c5', 'c6'],
      ],
      ['status is_empty', one('status', 'is_empty'), []],
      ['statusType is open', one('statusType', 'is', literal('open')), ['c1', 'c2', 'c5', 'c6']],
      ['statusType is closed', one('statusType', 'is', literal('closed')), ['c3', 'c4']],
      ['statusType is_not open', one('statusType', 'is_not', literal('open')), ['c3', 'c4']],
      [
        'statusType is_any_of',
        many('statusType', 'is_any_of', [literal('open'), literal('closed')]),
        ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'],
      ],
      [
        'statusType is_none_of',
        many('statusType', 'is_none_of', [literal('closed')]),
        ['c1', 'c2', 'c5', 'c6'],
      ],
      ['statusType is_empty', one('statusType', 'is_empty'), []],
      ['priority is', one('priority', 'is', literal('high')), ['c2']],
      [
        'priority is_not keeps NULL',
        one('priority', 'is_not', literal('high')),
        ['c1', 'c3', 'c4', 'c5', 'c6'],
      ],
      [
        'priority is_any_of',
        many('priority', 'is_any_of', [literal('low'), literal('urgent')]),
        ['c1', 'c3'],
      ],
      [
        'priority is_none_of keeps NULL',
        many('priority', 'is_none_of', [literal('low'), literal('urgent')]),
        ['c2', 'c4', 'c5', 'c6'],
      ],
      ['priority is_empty', one('priority', 'is_empty'), ['c4']],
      ['category is', one('category', 'is', literal('Billing')), ['c2']],
      [
        'category is_not keeps NULL',
        one('category', 'is_not', literal('Billing')),
        ['c1', 'c3', 'c4', 'c5', 'c6'],
      ],
      [
        'category is_any_of',
        many('category', 'is_any_of', [literal('Hardware'), literal('Account')]),
        ['c1', 'c5'],
      ],
      [
        'category is_none_of keeps NULL',
        many('category', 'is_none_of', [literal('Hardware'), literal('Account')]),
        ['c2', 'c3', 'c4', 'c6'],
      ],
      ['category is_empty: NULL or empty', one('category', 'is_empty'), ['c3', 'c4']],
      ['category "@me" is a literal', one('category', 'is', literal('@me')), ['c6']],
      ['team is (by id)', one('team', 'is', team('Billing')), ['c2', 'c4']],
      ['team is_not keeps NULL', one('team', 'is_not', team('Billing')), ['c1', 'c3', 'c5', 'c6']],
      [
        'team is_any_of',
        many('team', 'is_any_of', [team('Billing'), team('Technical Support')]),
        ['c1', 'c2', 'c4', 'c5'],
      ],
      ['team is_none_of keeps NULL', many('team', 'is_none_of', [team('Billing')]), ['c1', 'c3', 'c5', 'c6']],
      ['team is_empty', one('team', 'is_empty'), ['c3', 'c6']],
      ['assignee is (by id)', one('assignee', 'is', user('grace.hopper')), ['c1']],
      ['assignee is @me', one('assignee', 'is', literal('@me')), ['c2', 'c5']],
      ['assignee is_not @me keeps NULL', one('assignee', 'is_not', literal('@me')), ['c1', 'c3', 'c4', 'c6']],
      [
        'assignee is_any_of @me and an id',
        many('assignee', 'is_any_of', [literal('@me'), user('linus.torvalds')]),
        ['c2', 'c4', 'c5'],
      ],
      [
        'assignee is_none_of @me keeps NULL',
        many('assignee', 'is_none_of', [literal('@me')]),
        ['c1', 'c3', 'c4', 'c6'],
      ],
      ['assignee is_empty', one('assignee', 'is_empty'), ['c3', 'c6']],
    ])('%s', async (_name, condition, expected) => {
      expect(await fx.find({ and: [condition(fx.tenant)] })).toEqual(expected);
    });

    it('@me is whoever the context says is acting', async () => {
      const mine: Filters = { and: [{ field: 'assignee', operator: 'is', value: '@me' }] };
      expect(await fx.find(mine, { me: fx.tenant.userId('grace.hopper') })).toEqual(['c1']);
      expect(await fx.find(mine, { me: fx.tenant.userId('viewer') })).toEqual([]);
    });

    it.each<[ConditionOperator, string, Name[]]>([
      ['gt', 'high', ['c1']],
      ['gte', 'normal', ['c1', 'c2', 'c5', 'c6']],
      ['lt', 'normal', ['c3']],
      ['lte', 'high', ['c2', 'c3', 'c5', 'c6']],
      ['gt', 'urgent', []],
      ['lt', 'low', []],
    ])(
      'priority %s %s compares by sort order, not by name, and never matches no priority',
      async (operator, value, expected) => {
        expect(await fx.find({ and: [{ field: 'priority', operator, value }] })).toEqual(expected);
      },
    );
  });

  describe('tag operators', () => {
    const tickets = {
      g1: aTicket({ tags: ['refund', 'vip'] }),
      g2: aTicket({ tags: ['refund'] }),
      g3: aTicket({ tags: [] }),
      g4: aTicket({ tags: ['invoice'] }),
      g5: aTicket({ tags: ['Refund'] }),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it.each<[string, TicketCondition, Name[]]>([
      ['is', { field: 'tags', operator: 'is', value: 'refund' }, ['g1', 'g2']],
      ['is_not', { field: 'tags', operator: 'is_not', value: 'refund' }, ['g3', 'g4', 'g5']],
      ['is_any_of', { field: 'tags', operator: 'is_any_of', values: ['vip', 'invoice'] }, ['g1', 'g4']],
      [
        'is_none_of',
        { field: 'tags', operator: 'is_none_of', values: ['vip', 'invoice'] },
        ['g2', 'g3', 'g5'],
      ],
      ['is_empty', { field: 'tags', operator: 'is_empty' }, ['g3']],
    ])('tags %s', async (_name, condition, expected) => {
      expect(await fx.find({ and: [condition] })).toEqual(expected);
    });
  });

  describe('condition groups', () => {
    const group = (status: string, priority: string, category: string, tags: string[]): TicketSpec =>
      aTicket({ status, priority, category, tags });
    const tickets = {
      h1: group('open', 'high', 'Billing', ['vip']),
      h2: group('open', 'low', 'Billing', []),
      h3: group('pending', 'urgent', 'Technical', ['vip']),
      h4: group('closed', 'high', 'Technical', []),
      h5: group('new', 'normal', 'Billing', ['vip']),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const statusType: TicketCondition = { field: 'statusType', operator: 'is', value: 'open' };
    const billing: TicketCondition = { field: 'category', operator: 'is', value: 'Billing' };
    const technical: TicketCondition = { field: 'category', operator: 'is', value: 'Technical' };
    const highOrAbove: TicketCondition = { field: 'priority', operator: 'gte', value: 'high' };
    const vip: TicketCondition = { field: 'tags', operator: 'is', value: 'vip' };

    it('every "and" condition must hold', async () => {
      expect(await fx.find({ and: [statusType, billing] })).toEqual(['h1', 'h2', 'h5']);
    });

    it('"or" alone: any of its conditions', async () => {
      const low: TicketCondition = { field: 'priority', operator: 'is', value: 'low' };
      expect(await fx.find({ or: [technical, low] })).toEqual(['h2', 'h3', 'h4']);
    });

    it('"and" plus "or": all of the "and" and any of the "or"', async () => {
      expect(await fx.find({ and: [statusType], or: [highOrAbove, vip] })).toEqual(['h1', 'h3', 'h5']);
      const urgent: TicketCondition = { field: 'priority', operator: 'is', value: 'urgent' };
      const isNew: TicketCondition = { field: 'status', operator: 'is', value: 'new' };
      expect(await fx.find({ and: [technical], or: [urgent, isNew] })).toEqual(['h3']);
    });

    it("a view's conditions and a request's filters are two groups that must both match", async () => {
      const view: TicketViewDefinition = {
        columns: ['id'],
        conditions: {
          and: [],
          or: [
            { field: 'status', operator: 'is', value: 'open' },
            { field: 'status', operator: 'is', value: 'new' },
          ],
        },
        sort: BY_ID,
      };
      const query = buildTicketQuery(view, {
        filters: { and: [], or: [{ field: 'priority', operator: 'is', value: 'high' }, vip] },
      });
      expect(query.conditions).toHaveLength(2);
      expect(await fx.list(query)).toEqual(['h1', 'h5']);
    });
  });

  describe('search', () => {
    const tickets = {
      s1: aTicket({
        title: 'Cannot log in',
        description: 'Password rejected',
        contact: { name: 'Zoe Quux', email: 'zoe@corp.example' },
      }),
      s2: aTicket({ title: 'Billing question', description: 'Where is my INVOICE?', contact: null }),
      s3: aTicket({
        title: 'Hello',
        description: 'world',
        contact: { name: 'Ian Invoice', email: 'ian@example.com' },
      }),
      s4: aTicket({ title: 'Big % discount', description: 'promo', contact: null }),
      s5: aTicket({ title: 'under_score', description: 'x', contact: null }),
      s6: aTicket({ title: 'underXscore', description: 'x', contact: null }),
      s7: aTicket({ title: 'Refers to another ticket', description: 'see below', contact: null }),
      s8: aTicket({ title: 'back\\slash', description: 'x', contact: null }),
      s9: aTicket({ title: "'; DROP TABLE tickets; --", description: 'x', contact: null }),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
      await pool.query('UPDATE tickets SET description = $1 WHERE id = $2', [`see ${fx.ids.s3}`, fx.ids.s7]);
    });

    const search = (term: string): Promise<string[]> => fx.list(request({ search: term }));

    it.each<[string, Name[]]>([
      ['invoice', ['s2', 's3']],
      ['ZOE@CORP', ['s1']],
      ['quux', ['s1']],
      ['cannot LOG', ['s1']],
      ['password', ['s1']],
      ['g % D', ['s4']],
      ['%', ['s4']],
      ['_', ['s5']],
      ['under_score', ['s5']],
      ['\\', ['s8']],
      ["'; DROP TABLE tickets; --", ['s9']],
      ['no such words', []],
    ])(
      '"%s" matches title, description, contact name or e-mail, ignoring case, literally',
      async (term, expected) => {
        expect(await search(term)).toEqual(expected);
      },
    );

    it('"#123" matches ticket 123 only; "123" also matches text containing it', async () => {
      expect(await search(`#${fx.ids.s3}`)).toEqual(['s3']);
      expect(await search(fx.ids.s3)).toEqual(['s3', 's7']);
    });
  });

  describe('sort order', () => {
    const sorted = (
      status: string,
      priority: string | null,
      assignee: string | null,
      title: string,
      creationTime: string,
      slaDueAt: string | null,
    ): TicketSpec =>
      aTicket({
        status,
        priority,
        assignee,
        title,
        creationTime: at(creationTime),
        slaDueAt: slaDueAt === null ? null : at(slaDueAt),
      });
    const tickets = {
      r1: sorted('solved', 'high', 'grace.hopper', 'b', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
      r2: sorted('new', null, null, 'a', '2026-01-02T00:00:00Z', null),
      r3: sorted('on_hold', 'low', 'linus.torvalds', 'c', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z'),
      r4: sorted('closed', 'urgent', null, 'a', '2026-01-03T00:00:00Z', null),
      r5: sorted('open', 'high', 'grace.hopper', 'a', '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z'),
      r6: sorted('pending', 'normal', 'linus.torvalds', 'b', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z'),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const asc = (field: TicketFieldKey): TicketSort => ({ field, direction: 'asc' });
    const desc = (field: TicketFieldKey): TicketSort => ({ field, direction: 'desc' });

    it.each<[string, TicketSort[], Name[]]>([
      [
        'priority asc: by sort order, NULL last, ties by id',
        [asc('priority')],
        ['r3', 'r6', 'r1', 'r5', 'r4', 'r2'],
      ],
      [
        'priority desc: NULL still last, ties by id descending',
        [desc('priority')],
        ['r4', 'r5', 'r1', 'r6', 'r3', 'r2'],
      ],
      [
        'status asc: by sort order, not by key or label',
        [asc('status')],
        ['r2', 'r5', 'r6', 'r3', 'r1', 'r4'],
      ],
      ['status desc', [desc('status')], ['r4', 'r1', 'r3', 'r6', 'r5', 'r2']],
      ['assigneeName asc: NULL last', [asc('assigneeName')], ['r1', 'r5', 'r3', 'r6', 'r2', 'r4']],
      ['assigneeName desc: NULL last', [desc('assigneeName')], ['r6', 'r3', 'r5', 'r1', 'r4', 'r2']],
      ['slaDueAt desc, title asc', [desc('slaDueAt'), asc('title')], ['r5', 'r1', 'r6', 'r3', 'r2', 'r4']],
      [
        'creationTime asc, priority desc',
        [asc('creationTime'), desc('priority')],
        ['r1', 'r6', 'r3', 'r5', 'r2', 'r4'],
      ],
      [
        'title asc, creationTime desc, priority asc',
        [asc('title'), desc('creationTime'), asc('priority')],
        ['r4', 'r5', 'r2', 'r6', 'r1', 'r3'],
      ],
      ['id desc', [desc('id')], ['r6', 'r5', 'r4', 'r3', 'r2', 'r1']],
      ['title asc, id desc', [asc('title'), desc('id')], ['r5', 'r4', 'r2', 'r6', 'r1', 'r3']],
    ])('%s', async (_name, sort, expected) => {
      expect(await fx.list(request({ sort }))).toEqual(expected);
    });

    it('without a view or sort: newest first, ties by id descending', async () => {
      expect(await fx.list(buildTicketQuery(null, { columns: ['id'] }))).toEqual([
        'r4',
        'r5',
        'r2',
        'r6',
        'r3',
        'r1',
      ]);
    });
  });

  describe('deleted tickets and the export cutoff', () => {
    const cutoff = at('2026-05-20T00:00:00Z');
    const tickets = {
      d1: aTicket({ creationTime: at('2026-05-01T00:00:00Z') }),
      d2: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-10T00:00:00Z') }),
      d3: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-20T00:00:00Z') }),
      d4: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-20T00:00:00.001Z') }),
      d5: aTicket({ creationTime: at('2026-05-20T00:00:00Z') }),
      d6: aTicket({ creationTime: at('2026-05-20T00:00:00.001Z') }),
      d7: aTicket({ creationTime: at('2026-05-21T00:00:00Z'), deletedAt: at('2026-05-22T00:00:00Z') }),
    };
    let fx: Fixture<keyof typeof tickets>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it('the live list leaves out soft-deleted tickets', async () => {
      expect(await fx.find({})).toEqual(['d1', 'd5', 'd6']);
    });

    it('with a cutoff: created at or before it, and not deleted or deleted after it', async () => {
      expect(await fx.find({}, { cutoff })).toEqual(['d1', 'd4', 'd5']);
    });

    it('the cutoff applies together with the conditions', async () => {
      const filters: Filters = { and: [{ field: 'id', operator: 'gte', value: fx.ids.d4 }] };
      expect(await fx.find(filters, { cutoff })).toEqual(['d4', 'd5']);
    });
  });

  describe('tenant isolation', () => {
    // Another tenant whose priorities run the other way round: a comparison must use the querying tenant's order.
    const reversed = {
      ...ACME,
      priorities: ACME.priorities.map((p) => ({ ...p, sortOrder: 50 - p.sortOrder })),
    };
    const tickets = (prefix: string) => ({
      low: aTicket({ title: `${prefix} shared words`, priority: 'low' }),
      normal: aTicket({ title: `${prefix} shared words`, priority: 'normal' }),
      high: aTicket({ title: `${prefix} shared words`, priority: 'high' }),
      urgent: aTicket({ title: `${prefix} shared words`, priority: 'urgent', team: 'Billing' }),
    });
    type Name = keyof ReturnType<typeof tickets>;
    let mine: Fixture<Name>;
    let theirs: Fixture<Name>;

    beforeAll(async () => {
      mine = await Fixture.create(pool, tickets('alpha'));
      theirs = await Fixture.create(pool, tickets('beta'), await createTestTenant(pool, reversed));
    });

    it("never lists another tenant's tickets", async () => {
      expect(await mine.find({})).toEqual(['low', 'normal', 'high', 'urgent']);
      expect(await theirs.find({})).toEqual(['low', 'normal', 'high', 'urgent']);
      expect(await mine.list(request({ search: 'shared words' }))).toEqual([
        'low',
        'normal',
        'high',
        'urgent',
      ]);
      expect(await mine.list(request({ search: 'beta' }))).toEqual([]);
    });

    it("compares priorities by the querying tenant's own order", async () => {
      const aboveHigh: Filters = { and: [{ field: 'priority', operator: 'gt', value: 'high' }] };
      expect(await mine.find(aboveHigh)).toEqual(['urgent']);
      expect(await theirs.find(aboveHigh)).toEqual(['low', 'normal']);
    });

    it("finds nothing by another tenant's ids", async () => {
      expect(await mine.find({ and: [{ field: 'id', operator: 'eq', value: theirs.ids.high }] })).toEqual([]);
      expect(await mine.list(request({ search: `#${theirs.ids.high}` }))).toEqual([]);
      const team: Filters = {
        and: [{ field: 'team', operator: 'is', value: theirs.tenant.teamIds.Billing }],
      };
      expect(await mine.find(team)).toEqual([]);
      expect(await theirs.find(team)).toEqual(['urgent']);
    });
  });

  describe('cursors', () => {
    const tickets = {
      k1: aTicket({ title: 'a', priority: 'high', resolvedAt: at('2026-01-01T10:00:00.123Z') }),
      k2: aTicket({ title: 'a', priority: null, resolvedAt: null }),
      k3: aTicket({ title: 'b', priority: 'low', resolvedAt: at('2026-01-02T10:00:00Z') }),
      k4: aTicket({ title: 'c', priority: 'urgent', resolvedAt: null }),
    };
    let fx: Fixture<keyof typeof tickets>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const sort: TicketSort[] = [
      { field: 'title', direction: 'asc' },
      { field: 'priority', direction: 'desc' },
      { field: 'resolvedAt', direction: 'asc' },
    ];
    const query = (): TicketQuery => request({ sort });
    const builder = (): TicketQueryBuilder => new TicketQueryBuilder(query(), fx.context());

    /** The real cursor after the first row of the list. */
    async function firstCursor(): Promise<string> {
      const b = builder();
      const { rows } = await pool.query<Row>(b.select({ limit: 1 }));
      return b.cursorAfter(rows[0]);
    }

    /** Re-encodes a real cursor with its keys changed: what a client tampering with it would send. */
    function tamper(cursor: string, change: (keys: unknown[]) => unknown[]): string {
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: unknown[] };
      return Buffer.from(JSON.stringify({ ...decoded, k: change([...decoded.k]) }), 'utf8').toString(
        'base64url',
      );
    }

    const replace =
      (index: number, value: unknown) =>
      (keys: unknown[]): unknown[] =>
        keys.map((k, i) => (i === index ? value : k));

    async function expectRejected(cursor: string): Promise<void> {
      const error = await failure(() => pool.query(builder().select({ after: cursor, limit: 10 })));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([
        { field: 'cursor', message: expect.any(String) as string },
      ]);
    }

    it('a genuine cursor continues after its row', async () => {
      const { rows } = await pool.query<Row>(builder().select({ after: await firstCursor() }));
      expect(rows.map((row) => row.id)).toEqual([fx.ids.k2, fx.ids.k3, fx.ids.k4]);
    });

    it.each([
      ['not base64 JSON', '!!!'],
      ['JSON that is not an object', Buffer.from('"cursor"').toString('base64url')],
      ['null', Buffer.from('null').toString('base64url')],
      ['an array', Buffer.from('[]').toString('base64url')],
    ])('rejects a cursor that is %s', async (_name, cursor) => {
      await expectRejected(cursor);
    });

    it.each<[string, TicketSort[]]>([
      ['another field', [{ field: 'creationTime', direction: 'desc' }]],
      [
        'the same fields in another direction',
        [
          { field: 'title', direction: 'desc' },
          { field: 'priority', direction: 'desc' },
          { field: 'resolvedAt', direction: 'asc' },
        ],
      ],
      [
        'other fields of the same types',
        [
          { field: 'language', direction: 'asc' },
          { field: 'priority', direction: 'desc' },
          { field: 'closedAt', direction: 'asc' },
        ],
      ],
    ])('rejects a cursor made for a sort by %s', async (_name, otherSort) => {
      const other = new TicketQueryBuilder(request({ sort: otherSort }), fx.context());
      const { rows } = await pool.query<Row>(other.select({ limit: 1 }));
      await expectRejected(other.cursorAfter(rows[0]));
    });

    // Keys of this sort: title, priority IS NULL, priority order, resolvedAt IS NULL, resolvedAt, id.
    it.each<[string, (keys: unknown[]) => unknown[]]>([
      ['a key too few', (keys) => keys.slice(1)],
      ['a key too many', (keys) => [...keys, '1']],
      ['a number instead of a string', replace(5, 1)],
      ['a NUL character in a text key', replace(0, 'a\u0000b')],
      ['a boolean key that is not a boolean', replace(1, 'maybe')],
      ['an integer key that is not an integer', replace(2, '12.5')],
      ['an integer key out of range', replace(2, '9999999999')],
      ['an integer key below range', replace(2, '-2147483649')],
      ['a timestamp with impossible fields', replace(4, '2026-13-45 99:99:99+00')],
      ['a timestamp on a day that does not exist', replace(4, '2026-02-30 10:00:00+00')],
      ['a timestamp in year 0', replace(4, '0000-01-01 00:00:00+00')],
      ['a timestamp with an impossible offset', replace(4, '2026-01-01 00:00:00+16')],
      ['a timestamp that is not one', replace(4, 'now')],
      ['a bigint key out of range', replace(5, '9223372036854775808')],
      ['a bigint key that is SQL', replace(5, '1; DROP TABLE tickets')],
    ])('rejects a tampered cursor: %s', async (_name, change) => {
      await expectRejected(tamper(await firstCursor(), change));
    });

    it('accepts a well-formed cursor that points anywhere, and pages from there', async () => {
      const cursor = tamper(await firstCursor(), () => [
        'b',
        'false',
        '10',
        'false',
        '2026-01-02 10:00:00+00',
        '0',
      ]);
      const { rows } = await pool.query<Row>(builder().select({ after: cursor }));
      expect(rows.map((row) => row.id)).toEqual([fx.ids.k3, fx.ids.k4]);
      const extremes = tamper(await firstCursor(), () => [
        '',
        'true',
        '-2147483648',
        'true',
        '-infinity',
        '9223372036854775807',
      ]);
      const { rows: all } = await pool.query<Row>(builder().select({ after: extremes }));
      expect(all.map((row) => row.id)).toEqual([fx.ids.k1, fx.ids.k2, fx.ids.k3, fx.ids.k4]);
    });
  });

  describe('every field and operator the domain allows', () => {
    // "bare" is inserted first, so it has the smaller id; both share their creation time.
    let fx: Fixture<'bare' | 'full'>;
    const created = at('2026-01-01T00:00:00Z');

    beforeAll(async () => {
      fx = await Fixture.create(pool, {
        bare: aTicket({
          title: '',
          description: '',
          status: 'closed',
          priority: null,
          category: null,
          tags: [],
          assignee: null,
          team: null,
          contact: null,
          createdBy: null,
          creationTime: created,
          lastModificationTime: null,
          resolvedAt: null,
          closedAt: null,
          slaDueAt: null,
          slaStatus: null,
          language: null,
        }),
        full: aTicket({
          title: 'x',
          description: 'x',
          status: 'open',
          priority: 'high',
          category: 'x',
          tags: ['x'],
          assignee: 'agent',
          team: 'Billing',
          contact: { name: 'x', email: 'x' },
          createdBy: 'agent',
          creationTime: created,
          lastModificationTime: created,
          resolvedAt: created,
          closedAt: created,
          slaDueAt: created,
          slaStatus: 'x',
          language: 'x',
        }),
      });
    });

    /** A value the field accepts: what the "full" ticket holds there. */
    function sampleValue(field: TicketFieldKey, operator: ConditionOperator): string | number {
      const type = TICKET_FIELDS.find((f) => f.key === field)?.type;
      if (operator === 'within_past_days') return 30;
      if (field === 'status' || field === 'statusType') return 'open';
      if (field === 'priority') return 'high';
      if (field === 'assignee') return '@me';
      if (field === 'team') return fx.tenant.teamIds.Billing;
      if (field === 'createdByName' || field === 'assigneeName') return 'Alan Agent';
      if (field === 'assigneeEmail') return fx.tenant.email('agent');
      if (field === 'teamName') return 'Billing';
      if (type === 'number') return Number(fx.ids.full);
      if (type === 'date') return '2026-01-01';
      return 'x';
    }

    /** Which tickets `field operator sampleValue` must find, in id order. */
    function expected(field: TicketFieldKey, operator: ConditionOperator): ('bare' | 'full')[] {
      const alwaysSet = field === 'status' || field === 'statusType' || field === 'creationTime';
      const full = (): ('bare' | 'full')[] => (field === 'creationTime' ? ['bare', 'full'] : ['full']);
      switch (operator) {
        case 'eq':
        case 'is':
        case 'is_any_of':
        case 'contains':
        case 'starts_with':
        case 'ends_with':
          return ['full'];
        case 'neq':
        case 'is_not':
        case 'is_none_of':
        case 'not_contains':
          return ['bare'];
        case 'is_empty':
          return alwaysSet ? [] : ['bare'];
        case 'is_not_empty':
        case 'on_or_before':
        case 'on_or_after':
        case 'within_past_days':
          return full();
        case 'before':
        case 'after':
          return [];
        case 'gt':
          return [];
        case 'gte':
          return ['full'];
        case 'lt':
          return field === 'id' ? ['bare'] : [];
        case 'lte':
          return field === 'id' ? ['bare', 'full'] : ['full'];
      }
    }

    const cases = TICKET_FIELDS.filter((f) => f.filterable).flatMap((f) =>
      operatorsFor(f.key).map((operator): [TicketFieldKey, ConditionOperator] => [f.key, operator]),
    );

    it.each(cases)('%s %s', async (field, operator) => {
      const value = sampleValue(field, operator);
      const condition: TicketCondition =
        operator === 'is_any_of' || operator === 'is_none_of'
          ? { field, operator, values: [String(value)] }
          : operator === 'is_empty' || operator === 'is_not_empty'
            ? { field, operator }
            : { field, operator, value };
      const found = await fx.find({ and: [condition] }, { now: at('2026-01-03T00:00:00Z') });
      expect(found).toEqual(expected(field, operator));
    });

    const sortable = TICKET_FIELDS.filter((f) => f.sortable).flatMap((f) =>
      (['asc', 'desc'] as const).map((direction): TicketSort => ({ field: f.key, direction })),
    );

    it.each(sortable)('sorts by $field $direction and pages with a cursor', async (level) => {
      const query = request({ sort: [level] });
      const first = new TicketQueryBuilder(query, fx.context());
      const { rows } = await pool.query<Row>(first.select({ limit: 1 }));
      const next = new TicketQueryBuilder(query, fx.context());
      const { rows: rest } = await pool.query<Row>(
        next.select({ after: first.cursorAfter(rows[0]), limit: 5 }),
      );
      expect([...rows, ...rest].map((row) => row.id).sort()).toEqual([fx.ids.full, fx.ids.bare].sort());
    });
  });
});
