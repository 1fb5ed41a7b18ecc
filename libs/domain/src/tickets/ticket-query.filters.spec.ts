import { fieldsNamedBy, filter, refine, TEAM_ID, USER_ID } from './testing/ticket-query.fixtures';
import { buildTicketQuery } from './ticket-query';

describe('ticket query', () => {
  describe('filters', () => {
    it('accepts 50 conditions in a group and rejects 51, naming the group', () => {
      const condition = { field: 'title', operator: 'contains', value: 'printer' };
      const fifty = Array.from({ length: 50 }, () => condition);
      expect(buildTicketQuery(null, { filters: { and: fifty, or: fifty } }).conditions).toEqual([
        { and: fifty, or: fifty },
      ]);
      expect(fieldsNamedBy(refine({ filters: { and: [...fifty, condition], or: [] } }))).toEqual([
        'filters.and',
      ]);
      expect(fieldsNamedBy(refine({ filters: { and: [], or: [...fifty, condition] } }))).toEqual([
        'filters.or',
      ]);
    });

    it.each<[string, unknown, string[]]>([
      ['filters that are not an object', [{ field: 'title', operator: 'eq', value: 'x' }], ['filters']],
      ['a key other than and/or', { and: [], not: [] }, ['filters.not']],
      ['a group that is not an array', { and: { field: 'title' }, or: [] }, ['filters.and']],
      ['a condition that is not an object', { and: ['title = x'], or: [] }, ['filters.and[0]']],
      [
        'an unknown field',
        {
          and: [
            { field: 'title', operator: 'eq', value: 'x' },
            { field: 'nope', operator: 'eq', value: 'x' },
          ],
          or: [],
        },
        ['filters.and[1].field'],
      ],
      [
        'an operator of another type',
        {
          and: [
            { field: 'title', operator: 'eq', value: 'x' },
            { field: 'title', operator: 'gt', value: 'x' },
          ],
          or: [],
        },
        ['filters.and[1].operator'],
      ],
      [
        'an unknown operator',
        { and: [{ field: 'title', operator: 'like', value: 'x' }], or: [] },
        ['filters.and[0].operator'],
      ],
      ['a missing operator', { and: [{ field: 'title', value: 'x' }], or: [] }, ['filters.and[0].operator']],
      [
        'a bad value in the or group',
        { and: [], or: [{ field: 'creationTime', operator: 'before', value: '31/01/2026' }] },
        ['filters.or[0].value'],
      ],
    ])('rejects %s', (_case, filters, fields) => {
      expect(fieldsNamedBy(refine({ filters }))).toEqual(fields);
    });

    describe('values', () => {
      const accepts = (condition: Record<string, unknown>): void => {
        expect(buildTicketQuery(null, filter(condition)).conditions).toEqual([{ and: [condition], or: [] }]);
      };
      const rejects = (condition: Record<string, unknown>): string[] =>
        fieldsNamedBy(refine(filter(condition)));

      it.each([
        '2026-01-31',
        '2026-01-31T08:00:00Z',
        '2026-01-31T08:00:00.123Z',
        '2026-01-31T09:00:00+01:00',
        '2024-02-29',
      ])('a date accepts %s', (value) => {
        accepts({ field: 'creationTime', operator: 'on_or_after', value });
      });

      it.each<[string, unknown]>([
        ['an impossible day', '2026-02-30'],
        ['a 29 February outside a leap year', '2026-02-29'],
        ['a month 13', '2026-13-01'],
        ['a day/month/year date', '31/01/2026'],
        ['a date-time without offset', '2026-01-31T08:00:00'],
        ['a date-time on an impossible day', '2026-02-30T08:00:00Z'],
        ['a time out of range', '2026-01-31T25:00:00Z'],
        ['a word', 'yesterday'],
        ['an empty string', ''],
        ['a number', 20260131],
        ['no value', undefined],
      ])('a date rejects %s', (_case, value) => {
        expect(rejects({ field: 'resolvedAt', operator: 'before', value })).toEqual(['filters.and[0].value']);
      });

      it.each([1, 30, 36500])('within_past_days accepts %i', (value) => {
        accepts({ field: 'slaDueAt', operator: 'within_past_days', value });
      });

      it.each<[unknown]>([[0], [-1], [36501], [1.5], ['7'], [null], [undefined]])(
        'within_past_days rejects %j',
        (value) => {
          expect(rejects({ field: 'slaDueAt', operator: 'within_past_days', value })).toEqual([
            'filters.and[0].value',
          ]);
        },
      );

      it.each(['is_any_of', 'is_none_of'])('%s needs 1 to 100 values', (operator) => {
        accepts({ field: 'category', operator, values: ['Billing'] });
        accepts({ field: 'category', operator, values: Array.from({ length: 100 }, (_, i) => `c${i}`) });
        for (const values of [[], undefined, 'Billing', Array.from({ length: 101 }, (_, i) => `c${i}`)])
          expect(rejects({ field: 'category', operator, values })).toEqual(['filters.and[0].values']);
      });

      it('is_any_of names the bad value among the values', () => {
        expect(rejects({ field: 'team', operator: 'is_any_of', values: [TEAM_ID, 'not-an-id', 7] })).toEqual([
          'filters.and[0].values[1]',
          'filters.and[0].values[2]',
        ]);
      });

      it.each(['@me', USER_ID])('assignee accepts %s', (value) => {
        accepts({ field: 'assignee', operator: 'is', value });
        accepts({ field: 'assignee', operator: 'is_any_of', values: [value] });
      });

      it.each<[string, Record<string, unknown>]>([
        [
          'an assignee that is neither a user id nor @me',
          { field: 'assignee', operator: 'is', value: 'grace' },
        ],
        ['@me for a team', { field: 'team', operator: 'is', value: '@me' }],
        ['a statusType other than open/closed', { field: 'statusType', operator: 'is', value: 'pending' }],
        ['a text value that is not a string', { field: 'title', operator: 'contains', value: 42 }],
        [
          'a text value over 1000 characters',
          { field: 'title', operator: 'contains', value: 'x'.repeat(1001) },
        ],
        ['a missing text value', { field: 'title', operator: 'eq' }],
        ['a non-integer id', { field: 'id', operator: 'eq', value: 1.5 }],
        ['an id that is a word', { field: 'id', operator: 'gt', value: 'abc' }],
        ['an id that is a decimal string', { field: 'id', operator: 'gt', value: '1.5' }],
        ['an id with trailing text', { field: 'id', operator: 'eq', value: '42abc' }],
        ['a choice value that is not a string', { field: 'status', operator: 'is', value: 3 }],
      ])('rejects %s', (_case, condition) => {
        expect(rejects(condition)).toEqual(['filters.and[0].value']);
      });

      it.each<[string, Record<string, unknown>]>([
        ['an id as a number', { field: 'id', operator: 'eq', value: 42 }],
        ['a statusType', { field: 'statusType', operator: 'is', value: 'closed' }],
        ['a priority compared by order', { field: 'priority', operator: 'lt', value: 'urgent' }],
        ['a text of 1000 characters', { field: 'title', operator: 'contains', value: 'x'.repeat(1000) }],
      ])('accepts %s', (_case, condition) => {
        accepts(condition);
      });

      it('reads an id given as a string of digits as a number', () => {
        expect(
          buildTicketQuery(null, filter({ field: 'id', operator: 'eq', value: '42' })).conditions,
        ).toEqual([{ and: [{ field: 'id', operator: 'eq', value: 42 }], or: [] }]);
      });

      it('is_empty and is_not_empty keep no value', () => {
        expect(
          buildTicketQuery(null, filter({ field: 'closedAt', operator: 'is_not_empty', value: 'ignored' }))
            .conditions,
        ).toEqual([{ and: [{ field: 'closedAt', operator: 'is_not_empty' }], or: [] }]);
      });
    });
  });
});
