import {
  fieldErrorsOf,
  fieldsNamedBy,
  filter,
  refine,
  validationErrorOf,
} from './testing/ticket-query.fixtures';

describe('ticket query', () => {
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
});
