import { type FieldError, ValidationError } from '../errors/domain-error';
import { errorThrownBy } from '../testing/export-job.factory';
import { TICKET_FIELDS, type TicketFieldKey } from './ticket-fields';
import {
  buildTicketQuery,
  CONDITION_OPERATORS,
  type ConditionOperator,
  operatorsFor,
  parseStoredView,
  parseTimeZone,
  type TicketQueryRefinement,
  type TicketViewDefinition,
} from './ticket-query';

/** The ValidationError a call was refused with; fails the test when it threw anything else or nothing. */
function validationErrorOf(call: () => unknown): ValidationError {
  const error = errorThrownBy(call);
  if (!(error instanceof ValidationError))
    throw new Error(`expected a ValidationError, got ${String(error)}`);
  expect(error.code).toBe('VALIDATION_FAILED');
  return error;
}

const fieldErrorsOf = (call: () => unknown): readonly FieldError[] => validationErrorOf(call).errors;

const fieldsNamedBy = (call: () => unknown): string[] => fieldErrorsOf(call).map((e) => e.field);

const refine = (refinement: TicketQueryRefinement) => (): unknown => buildTicketQuery(null, refinement);
const filter = (...and: unknown[]): TicketQueryRefinement => ({ filters: { and, or: [] } });

const TEAM_ID = '3f2b8c1e-9d4a-4c7b-8e2f-1a2b3c4d5e6f';
const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

// Operators by field type, as CONTRACT §4 lists them.
const TEXT = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'is_empty',
  'is_not_empty',
];
const NUMBER = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];
const DATE = [
  'before',
  'after',
  'on_or_before',
  'on_or_after',
  'within_past_days',
  'is_empty',
  'is_not_empty',
];
const CHOICE = ['is', 'is_not', 'is_any_of', 'is_none_of', 'is_empty'];
const PRIORITY = [...CHOICE, 'gt', 'gte', 'lt', 'lte'];
/** The contract gives tags no operator list; the domain treats them as a multi-valued choice. */
const TAGS = CHOICE;

const OPERATORS_BY_FIELD: Readonly<Record<TicketFieldKey, readonly string[]>> = {
  id: NUMBER,
  title: TEXT,
  description: TEXT,
  status: CHOICE,
  statusType: CHOICE,
  priority: PRIORITY,
  category: CHOICE,
  tags: TAGS,
  assignee: CHOICE,
  assigneeName: TEXT,
  assigneeEmail: TEXT,
  team: CHOICE,
  teamName: TEXT,
  contactName: TEXT,
  contactEmail: TEXT,
  createdByName: TEXT,
  creationTime: DATE,
  lastModificationTime: DATE,
  resolvedAt: DATE,
  closedAt: DATE,
  slaDueAt: DATE,
  slaStatus: TEXT,
  language: TEXT,
};

/** A value the field accepts with the operator, so that only the operator decides whether a condition passes. */
function aConditionFor(field: TicketFieldKey, operator: ConditionOperator): Record<string, unknown> {
  if (operator === 'is_empty' || operator === 'is_not_empty') return { field, operator };
  if (operator === 'within_past_days') return { field, operator, value: 7 };
  const value: string | number =
    OPERATORS_BY_FIELD[field] === NUMBER
      ? 42
      : OPERATORS_BY_FIELD[field] === DATE
        ? '2026-01-31'
        : field === 'statusType'
          ? 'open'
          : field === 'assignee'
            ? '@me'
            : field === 'team'
              ? TEAM_ID
              : field === 'priority'
                ? 'high'
                : 'printer';
  if (operator === 'is_any_of' || operator === 'is_none_of') return { field, operator, values: [value] };
  return { field, operator, value };
}

const DEFAULT_COLUMNS = [
  'id',
  'title',
  'status',
  'priority',
  'category',
  'contactName',
  'assigneeName',
  'teamName',
  'creationTime',
];
const CONTRACT_COLUMNS = [
  'id',
  'title',
  'description',
  'status',
  'priority',
  'category',
  'tags',
  'assigneeName',
  'assigneeEmail',
  'teamName',
  'contactName',
  'contactEmail',
  'createdByName',
  'creationTime',
  'lastModificationTime',
  'resolvedAt',
  'closedAt',
  'slaDueAt',
  'slaStatus',
  'language',
];

const OPEN_TICKETS = { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] };
const aView = (overrides: Partial<TicketViewDefinition> = {}): TicketViewDefinition => ({
  columns: ['id', 'title', 'status'],
  conditions: OPEN_TICKETS,
  sort: [{ field: 'priority', direction: 'desc' }],
  ...overrides,
});

describe('ticket query', () => {
  describe('operatorsFor', () => {
    it('has an expectation for every field of the registry', () => {
      expect(Object.keys(OPERATORS_BY_FIELD).sort()).toEqual(TICKET_FIELDS.map((f) => f.key).sort());
    });

    it.each(Object.entries(OPERATORS_BY_FIELD))('%s: exactly %j', (field, expected) => {
      expect([...operatorsFor(field as TicketFieldKey)].sort()).toEqual([...expected].sort());
    });

    it('knows no operator for an unknown field', () => {
      expect(operatorsFor('nope' as TicketFieldKey)).toEqual([]);
    });

    it.each(Object.entries(OPERATORS_BY_FIELD))(
      'a filter on %s accepts exactly its operators and names the operator of any other',
      (field, expected) => {
        const key = field as TicketFieldKey;
        const accepted: string[] = [];
        for (const operator of CONDITION_OPERATORS) {
          const condition = aConditionFor(key, operator);
          try {
            const query = buildTicketQuery(null, filter(condition));
            expect(query.conditions).toEqual([{ and: [condition], or: [] }]);
            accepted.push(operator);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect(error).toMatchObject({ errors: [{ field: 'filters.and[0].operator' }] });
          }
        }
        expect(accepted.sort()).toEqual([...expected].sort());
      },
    );
  });

  describe('default query (no view)', () => {
    it('is all tickets, the default columns, newest first, no search', () => {
      expect(buildTicketQuery(null)).toEqual({
        columns: DEFAULT_COLUMNS,
        conditions: [],
        sort: [{ field: 'creationTime', direction: 'desc' }],
        search: null,
      });
      expect(buildTicketQuery(null, {})).toEqual(buildTicketQuery(null));
    });

    it('takes the refinements of the request', () => {
      const query = buildTicketQuery(null, {
        columns: ['title'],
        filters: OPEN_TICKETS,
        sort: [{ field: 'id', direction: 'asc' }],
        search: 'printer',
      });
      expect(query).toEqual({
        columns: ['title'],
        conditions: [OPEN_TICKETS],
        sort: [{ field: 'id', direction: 'asc' }],
        search: 'printer',
      });
    });
  });

  describe('refining a view', () => {
    it('without refinement is the view', () => {
      expect(buildTicketQuery(aView())).toEqual({
        columns: ['id', 'title', 'status'],
        conditions: [OPEN_TICKETS],
        sort: [{ field: 'priority', direction: 'desc' }],
        search: null,
      });
    });

    it('columns replace the view columns, in the requested order', () => {
      expect(buildTicketQuery(aView(), { columns: ['tags', 'id'] }).columns).toEqual(['tags', 'id']);
    });

    it('sort replaces the view sort', () => {
      const sort = [
        { field: 'slaDueAt', direction: 'asc' },
        { field: 'title', direction: 'desc' },
      ];
      expect(buildTicketQuery(aView(), { sort }).sort).toEqual(sort);
    });

    it('a sort level without direction is ascending', () => {
      expect(buildTicketQuery(aView(), { sort: [{ field: 'title' }] }).sort).toEqual([
        { field: 'title', direction: 'asc' },
      ]);
    });

    it('filters are one more group, ANDed with the view conditions and never merged into them', () => {
      const filters = {
        and: [{ field: 'priority', operator: 'gte', value: 'high' }],
        or: [
          { field: 'assignee', operator: 'is', value: '@me' },
          { field: 'team', operator: 'is', value: TEAM_ID },
        ],
      };
      expect(buildTicketQuery(aView(), { filters }).conditions).toEqual([OPEN_TICKETS, filters]);
    });

    it('empty filters add no group', () => {
      expect(buildTicketQuery(aView(), { filters: { and: [], or: [] } }).conditions).toEqual([OPEN_TICKETS]);
      expect(buildTicketQuery(aView(), { filters: {} }).conditions).toEqual([OPEN_TICKETS]);
    });

    it.each<[string, string | null]>([
      ['printer', 'printer'],
      ['  printer jam \t', 'printer jam'],
      ['', null],
      ['   ', null],
      ['x'.repeat(200), 'x'.repeat(200)],
    ])('search %j becomes %j', (search, expected) => {
      expect(buildTicketQuery(aView(), { search }).search).toBe(expected);
    });

    it('leaves the view itself untouched', () => {
      const view = aView();
      buildTicketQuery(view, {
        columns: ['title'],
        filters: OPEN_TICKETS,
        sort: [{ field: 'id', direction: 'asc' }],
      });
      expect(view).toEqual(aView());
    });
  });

  describe('parseStoredView', () => {
    it('reads a view into one condition group', () => {
      expect(parseStoredView(aView())).toEqual({
        columns: ['id', 'title', 'status'],
        conditions: [OPEN_TICKETS],
        sort: [{ field: 'priority', direction: 'desc' }],
        search: null,
      });
    });

    it('a view without conditions or sort is all tickets, newest first', () => {
      const query = parseStoredView(aView({ conditions: { and: [], or: [] }, sort: [] }));
      expect(query.conditions).toEqual([]);
      expect(query.sort).toEqual([{ field: 'creationTime', direction: 'desc' }]);
      expect(parseStoredView(aView({ conditions: null, sort: null }))).toEqual(query);
    });

    it('names the bad parts of a view that no longer validates under view.*', () => {
      const view = aView({
        columns: ['id', 'removedColumn'],
        conditions: { and: [{ field: 'removedField', operator: 'is', value: 'x' }], or: [] },
        sort: [{ field: 'removedField', direction: 'asc' }],
      });
      expect(fieldsNamedBy(() => parseStoredView(view))).toEqual([
        'view.columns[1]',
        'view.conditions.and[0].field',
        'view.sort[0].field',
      ]);
      expect(fieldsNamedBy(() => buildTicketQuery(view))).toEqual([
        'view.columns[1]',
        'view.conditions.and[0].field',
        'view.sort[0].field',
      ]);
    });
  });

  describe('columns', () => {
    it('accepts each export column of the contract', () => {
      expect(buildTicketQuery(null, { columns: CONTRACT_COLUMNS }).columns).toEqual(CONTRACT_COLUMNS);
    });

    it.each<[string, unknown, string[]]>([
      ['an unknown key', ['id', 'title', 'nope'], ['columns[2]']],
      [
        'a filter-only field',
        ['id', 'assignee', 'statusType', 'team'],
        ['columns[1]', 'columns[2]', 'columns[3]'],
      ],
      ['a duplicate', ['id', 'title', 'id'], ['columns[2]']],
      ['a key of another type', ['id', 7], ['columns[1]']],
      ['a key in another case', ['ID'], ['columns[0]']],
      ['no column', [], ['columns']],
      ['51 columns', Array.from({ length: 51 }, () => 'id'), ['columns']],
      ['not an array', 'id,title', ['columns']],
      ['null', null, ['columns']],
    ])('rejects %s', (_case, columns, fields) => {
      expect(fieldsNamedBy(refine({ columns }))).toEqual(fields);
    });

    it('accepts one column', () => {
      expect(buildTicketQuery(null, { columns: ['id'] }).columns).toEqual(['id']);
    });
  });

  describe('sort', () => {
    const level = (field: string, direction = 'asc'): { field: string; direction: string } => ({
      field,
      direction,
    });

    it('accepts 3 levels', () => {
      const sort = [level('priority', 'desc'), level('creationTime'), level('id', 'desc')];
      expect(buildTicketQuery(null, { sort }).sort).toEqual(sort);
    });

    it.each<[string, unknown, string[]]>([
      ['4 levels', [level('title'), level('priority'), level('creationTime'), level('id')], ['sort']],
      ['an unknown field', [level('nope')], ['sort[0].field']],
      ['a field that cannot be sorted on', [level('id'), level('description')], ['sort[1].field']],
      ['tags', [level('tags')], ['sort[0].field']],
      ['assignee (sort by assigneeName)', [level('assignee')], ['sort[0].field']],
      ['team (sort by teamName)', [level('team')], ['sort[0].field']],
      ['the same field twice', [level('title'), level('title', 'desc')], ['sort[1].field']],
      ['an unknown direction', [level('title', 'up')], ['sort[0].direction']],
      ['a direction in upper case', [level('title', 'DESC')], ['sort[0].direction']],
      ['a level that is not an object', ['title'], ['sort[0]']],
      ['not an array', { field: 'title' }, ['sort']],
    ])('rejects %s', (_case, sort, fields) => {
      expect(fieldsNamedBy(refine({ sort }))).toEqual(fields);
    });
  });

  describe('search', () => {
    it.each<[string, unknown]>([
      ['201 characters', 'x'.repeat(201)],
      ['a number', 42],
      ['an array', ['printer']],
    ])('rejects %s', (_case, search) => {
      expect(fieldsNamedBy(refine({ search }))).toEqual(['search']);
    });

    it('null or absent is no search', () => {
      expect(buildTicketQuery(null, { search: null }).search).toBeNull();
      expect(buildTicketQuery(null, {}).search).toBeNull();
    });
  });

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

  describe('errors', () => {
    it('collects every bad field of a request, not only the first', () => {
      const errors = fieldErrorsOf(
        refine({
          columns: ['id', 'nope'],
          filters: {
            and: [{ field: 'title', operator: 'gt', value: 'x' }],
            or: [{ field: 'creationTime', operator: 'after', value: '2026-02-30' }],
          },
          sort: [{ field: 'nope', direction: 'asc' }],
          search: 'x'.repeat(201),
        }),
      );
      expect(errors.map((e) => e.field).sort()).toEqual(
        ['columns[1]', 'filters.and[0].operator', 'filters.or[0].value', 'search', 'sort[0].field'].sort(),
      );
      for (const e of errors) expect(e.message).not.toBe('');
    });

    it('two bad conditions in one group are two errors', () => {
      expect(
        fieldsNamedBy(
          refine(
            filter(
              { field: 'nope', operator: 'eq', value: 'x' },
              { field: 'title', operator: 'is', value: 'x' },
            ),
          ),
        ),
      ).toEqual(['filters.and[0].field', 'filters.and[1].operator']);
    });

    it('the message names each bad field', () => {
      const { message } = validationErrorOf(refine({ columns: ['nope'], sort: [{ field: 'nope' }] }));
      expect(message).toContain('columns[0]');
      expect(message).toContain('sort[0].field');
    });

    it('the operator error tells which operators the field takes', () => {
      const [error] = fieldErrorsOf(refine(filter({ field: 'id', operator: 'contains', value: 'x' })));
      expect(error.message).toContain('eq, neq, gt, gte, lt, lte');
    });
  });

  describe('parseTimeZone', () => {
    it.each(['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Etc/GMT+1'])('accepts %s', (zone) => {
      expect(parseTimeZone(zone)).toBe(zone);
    });

    it('defaults to UTC', () => {
      expect(parseTimeZone(undefined)).toBe('UTC');
      expect(parseTimeZone(null)).toBe('UTC');
    });

    it.each<[unknown]>([
      ['Mars/Olympus'],
      ['UTC; DROP'],
      ["Europe/Paris'--"],
      ['../../etc/passwd'],
      [''],
      ['+01:00'],
      ['Europe/Paris'.repeat(6)],
      [42],
      [{ zone: 'UTC' }],
    ])('rejects %j, naming the field', (zone) => {
      expect(fieldsNamedBy(() => parseTimeZone(zone))).toEqual(['timezone']);
      expect(fieldsNamedBy(() => parseTimeZone(zone, 'body.timezone'))).toEqual(['body.timezone']);
    });
  });
});
