import { type ConditionOperator, type TicketCondition, ValidationError } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket, insertTickets, type TicketSpec } from '../../../../test/support/factories';
import { at, failure, type Filters, Fixture, request, type Row } from './testing/ticket-query-fixture';
import { TicketQueryBuilder } from './ticket-query-builder';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
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
});
