import { fieldsNamedBy, refine } from './testing/ticket-query.fixtures';
import { buildTicketQuery } from './ticket-query';

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

describe('ticket query', () => {
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
});
