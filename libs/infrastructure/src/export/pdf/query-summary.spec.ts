import { anExportJobQuery } from '@app/domain/testing/export-job.factory';
import { describeQuery } from './query-summary';

describe('describeQuery (the PDF title block line)', () => {
  it('names filters by label, with their operator and values, then the search and the sort', () => {
    const line = describeQuery(
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
    expect(describeQuery(anExportJobQuery({ conditions: [], sort: [], search: null }))).toBe(
      'Filters: none · Sort: default',
    );
  });
});
