import { ValidationError } from '../errors/domain-error';
import { DEFAULT_TICKET_COLUMNS } from '../tickets/ticket-fields';
import { parseStoredView } from '../tickets/ticket-query';
import type { RefinedView } from '../export-sources/export-source-definition';
import { parseExportRequest, parseExportViewId } from './export-request';

const VIEW_ID = '0b000000-0000-4000-8000-000000000001';
const OPEN_VIEW: RefinedView = {
  id: VIEW_ID,
  name: 'Open tickets',
  query: parseStoredView({
    columns: ['id', 'title', 'status'],
    conditions: { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
    sort: [{ field: 'priority', direction: 'desc' }],
  }),
};

function fieldsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors.map((e) => e.field).sort();
    throw error;
  }
  throw new Error('no ValidationError');
}

describe('parseExportRequest', () => {
  it('without a view or fields: all tickets, default columns, newest first, csv in UTC', () => {
    expect(parseExportRequest({}, null)).toEqual({
      source: 'tickets',
      format: 'csv',
      query: {
        columns: DEFAULT_TICKET_COLUMNS,
        conditions: [],
        sort: [{ field: 'creationTime', direction: 'desc' }],
        search: null,
        viewId: null,
        viewName: null,
        timezone: 'UTC',
        fileName: null,
      },
    });
  });

  it('reads JSON null as absent', () => {
    const nulls = {
      source: null,
      viewId: null,
      format: null,
      columns: null,
      filters: null,
      sort: null,
      search: null,
      timezone: null,
      fileName: null,
    };
    expect(parseExportRequest(nulls, null)).toEqual(parseExportRequest({}, null));
    expect(parseExportViewId(null, [])).toBeNull();
  });

  it("refines a view: columns and sort replace the view's, filters are a second group", () => {
    const { format, query } = parseExportRequest(
      {
        format: 'ndjson',
        columns: ['title', 'tags'],
        filters: { and: [{ field: 'tags', operator: 'is', value: 'vip' }] },
        sort: [{ field: 'creationTime', direction: 'asc' }],
        search: '  refund ',
        timezone: 'Europe/Paris',
        fileName: 'weekly report',
      },
      OPEN_VIEW,
    );
    expect(format).toBe('ndjson');
    expect(query).toEqual({
      columns: ['title', 'tags'],
      conditions: [
        { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
        { and: [{ field: 'tags', operator: 'is', value: 'vip' }], or: [] },
      ],
      sort: [{ field: 'creationTime', direction: 'asc' }],
      search: 'refund',
      viewId: VIEW_ID,
      viewName: 'Open tickets',
      timezone: 'Europe/Paris',
      fileName: 'weekly report',
    });
  });

  it('names every bad field at once, earlier ones included', () => {
    const earlier = [{ field: 'viewId', message: 'must be a view id (UUID)' }];
    expect(parseExportViewId('not-a-uuid', [])).toBeNull();
    expect(
      fieldsOf(() =>
        parseExportRequest(
          {
            source: 'invoices',
            format: 'xls',
            columns: ['id', 'nope', 'id', 1],
            filters: { and: [{ field: 'title', operator: 'between', value: 'a' }], xor: [] },
            sort: [{ field: 'tags' }],
            search: 'x'.repeat(201),
            timezone: 'Mars/Olympus',
            fileName: '../etc/passwd',
          },
          null,
          earlier,
        ),
      ),
    ).toEqual(
      [
        'viewId',
        'source',
        'format',
        'columns[1]',
        'columns[2]',
        'columns[3]',
        'filters.and[0].operator',
        'filters.xor',
        'sort[0].field',
        'search',
        'timezone',
        'fileName',
      ].sort(),
    );
  });
});
