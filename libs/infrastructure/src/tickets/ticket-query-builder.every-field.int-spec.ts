import {
  type ConditionOperator,
  operatorsFor,
  TICKET_FIELDS,
  type TicketCondition,
  type TicketFieldKey,
  type TicketSort,
} from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket } from '../../../../test/support/factories';
import { at, Fixture, request, type Row } from './testing/ticket-query-fixture';
import { TicketQueryBuilder } from './ticket-query-builder';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
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
