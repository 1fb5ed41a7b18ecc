import { anExportJobQuery } from '@app/domain/testing/export-job.factory';
import { describeQuery } from './query-summary';

describe('describeQuery (the PDF title block line)', () => {
  it('names filters by label, with their operator and values, then the search and the sort', () => {
    const line = describeQuery(
      'tickets',
      anExportJobQuery({
        conditions: [
          {
            and: [
              { field: 'status', operator: 'is_any_of', values: ['open', 'pending'] },
              { field: 'priority', operator: 'gte', value: 'high' },
            ],
            or: [
              { field: 'title', operator: 'contains', value: 'printer' },
              { field: 'category', operator: 'is_empty' },
            ],
          },
        ],
        search: 'toner',
        sort: [
          { field: 'priority', direction: 'desc' },
          { field: 'creationTime', direction: 'asc' },
        ],
      }),
    );
    expect(line).toBe(
      'Filters: Status is any of (open, pending) and Priority ≥ "high" and (Title contains "printer" or Category is empty)' +
        ' · Search: "toner" · Sort: Priority desc, Created asc',
    );
  });

  it('says so when there are no filters', () => {
    expect(describeQuery('tickets', anExportJobQuery({ conditions: [], sort: [], search: null }))).toBe(
      'Filters: none · Sort: default',
    );
  });

  it("names the fields of another source by that source's labels", () => {
    const auditLog = anExportJobQuery({
      columns: ['time', 'actorEmail', 'action'],
      conditions: [
        {
          and: [
            { field: 'time', operator: 'on_or_after', value: '2026-01-01' },
            { field: 'action', operator: 'is_any_of', values: ['export.requested', 'export.downloaded'] },
          ],
          // `actor` is a filter field only (no column of that key): it keeps its key.
          or: [{ field: 'actor', operator: 'ends_with', value: '@acme.test' }],
        },
      ],
      sort: [{ field: 'time', direction: 'desc' }],
      search: null,
    });
    expect(describeQuery('audit-events', auditLog)).toBe(
      'Filters: Time on or after "2026-01-01" and Action is any of (export.requested, export.downloaded)' +
        ' and (actor ends with "@acme.test") · Sort: Time desc',
    );
    const staff = anExportJobQuery({
      columns: ['name', 'created'],
      conditions: [{ and: [{ field: 'created', operator: 'before', value: '2026-01-01' }], or: [] }],
      sort: [{ field: 'created', direction: 'asc' }],
      search: null,
    });
    expect(describeQuery('users', staff)).toBe('Filters: Created before "2026-01-01" · Sort: Created asc');
    const analytics = anExportJobQuery({
      columns: ['date', 'team'],
      conditions: [
        {
          and: [
            { field: 'date', operator: 'on_or_after', value: '2026-01-01' },
            { field: 'date', operator: 'on_or_before', value: '2026-01-31' },
          ],
          or: [],
        },
      ],
      sort: [{ field: 'date', direction: 'asc' }],
      search: null,
    });
    expect(describeQuery('ticket-analytics', analytics)).toBe(
      'Filters: Date on or after "2026-01-01" and Date on or before "2026-01-31" · Sort: Date asc',
    );
  });
});
