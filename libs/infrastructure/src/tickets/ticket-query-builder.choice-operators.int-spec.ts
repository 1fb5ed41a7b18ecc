import {
  buildTicketQuery,
  type ConditionOperator,
  type TicketCondition,
  type TicketFieldKey,
  type TicketViewDefinition,
} from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket, type TestTenant, type TicketSpec } from '../../../../test/support/factories';
import { BY_ID, type Filters, Fixture } from './testing/ticket-query-fixture';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
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
});
