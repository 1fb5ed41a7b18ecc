import { aView, fieldsNamedBy, OPEN_TICKETS, TEAM_ID } from './testing/ticket-query.fixtures';
import { buildTicketQuery, parseStoredView } from './ticket-query';

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

describe('ticket query', () => {
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
});
