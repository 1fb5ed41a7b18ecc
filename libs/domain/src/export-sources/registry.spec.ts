import { ValidationError } from '../errors/domain-error';
import { parseExportRequest } from '../export-jobs/export-request';
import {
  combinePermissions,
  SystemPermissions as P,
  ALL_SYSTEM_PERMISSIONS,
} from '../permissions/system-permissions';
import { ACME_TENANT_ID, anActor, anExportJob, GLOBEX_TENANT_ID } from '../testing/export-job.factory';
import {
  EXPORT_SOURCE_DEFINITIONS,
  EXPORT_SOURCES,
  exportColumnLabel,
  exportSourceDefinition,
  exportSourcesFor,
} from './registry';
import { TICKET_ANALYTICS_SOURCE } from './ticket-analytics/ticket-analytics-source';

/** The five seeded identities of CONTRACT §3, with the seed's roles. */
const IDENTITIES = {
  'admin@acme': anActor({ tenantId: ACME_TENANT_ID, isAdmin: true, permissions: ALL_SYSTEM_PERMISSIONS }),
  'agent@acme': anActor({
    tenantId: ACME_TENANT_ID,
    isAdmin: false,
    permissions: combinePermissions([P.ManageTickets | P.ManageViews | P.ImportExportTickets]),
  }),
  'viewer@acme': anActor({ tenantId: ACME_TENANT_ID, isAdmin: false, permissions: P.ViewReports }),
  'auditor@acme': anActor({
    tenantId: ACME_TENANT_ID,
    isAdmin: true,
    permissions: P.ViewReports | P.ViewAuditLog,
  }),
  'admin@globex': anActor({ tenantId: GLOBEX_TENANT_ID, isAdmin: true, permissions: ALL_SYSTEM_PERMISSIONS }),
};

const failures = (run: () => unknown): { field: string; message: string }[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.errors];
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('export source registry', () => {
  it.each([
    ['admin@acme', ['tickets', 'audit-events', 'users', 'ticket-analytics']],
    ['agent@acme', ['tickets', 'ticket-analytics']],
    ['viewer@acme', []],
    ['auditor@acme', ['users']],
    ['admin@globex', ['tickets', 'audit-events', 'users', 'ticket-analytics']],
  ] as const)('%s may request %j', (who, keys) => {
    expect(exportSourcesFor(IDENTITIES[who]).map((d) => d.key)).toEqual(keys);
  });

  it('downloads stay with export admins of the job tenant, whatever the source', () => {
    const job = anExportJob({ tenantId: ACME_TENANT_ID });
    for (const key of EXPORT_SOURCES) {
      const { canDownload } = exportSourceDefinition(key);
      expect(
        Object.entries(IDENTITIES)
          .filter(([, actor]) => canDownload(actor, job))
          .map(([who]) => who),
      ).toEqual(['admin@acme']);
    }
  });

  it('declares every default column, filter and sort field among its own', () => {
    for (const definition of Object.values(EXPORT_SOURCE_DEFINITIONS)) {
      const columns = definition.columns.map((c) => c.key);
      expect(columns).toEqual(expect.arrayContaining([...definition.defaultColumns]));
      expect(new Set(columns).size).toBe(columns.length);
      expect(definition.defaultSort.length).toBeGreaterThan(0);
      for (const field of definition.filterFields) expect(field.operators.length).toBeGreaterThan(0);
    }
  });
});

describe('exportColumnLabel', () => {
  it("labels a column by its own source's header, the key for a field that is no column of it", () => {
    expect(exportColumnLabel('audit-events', 'actorEmail')).toBe('Actor Email');
    expect(exportColumnLabel('users', 'permissions')).toBe('Permissions');
    expect(exportColumnLabel('ticket-analytics', 'medianResolutionHours')).toBe('Median Resolution (h)');
    expect(exportColumnLabel('tickets', 'creationTime')).toBe('Created');
    expect(exportColumnLabel('tickets', 'actorEmail')).toBe('actorEmail');
    expect(exportColumnLabel('audit-events', 'actor')).toBe('actor');
  });
});

describe('parsing a request of a record source', () => {
  it('names an unknown source', () => {
    expect(failures(() => parseExportRequest({ source: 'invoices' }, null))).toEqual([
      { field: 'source', message: expect.stringContaining('tickets, audit-events, users') as string },
    ]);
  });

  it('takes the source defaults: all declared default columns, its own order, no search', () => {
    const { source, query } = parseExportRequest({ source: 'audit-events' }, null);
    expect(source).toBe('audit-events');
    expect(query).toMatchObject({
      columns: ['time', 'actorEmail', 'action', 'jobId', 'ip', 'userAgent', 'details'],
      conditions: [],
      sort: [{ field: 'time', direction: 'desc' }],
      search: null,
      viewId: null,
      timezone: 'UTC',
    });
  });

  it('reads filters in the view grammar, against the source own fields', () => {
    const { query } = parseExportRequest(
      {
        source: 'audit-events',
        columns: ['time', 'action'],
        filters: {
          and: [
            { field: 'time', operator: 'after', value: '2026-01-01' },
            { field: 'action', operator: 'is_any_of', values: ['export.requested', 'export.downloaded'] },
          ],
          or: [{ field: 'actor', operator: 'contains', value: 'admin' }],
        },
      },
      null,
    );
    expect(query.conditions).toEqual([
      {
        and: [
          { field: 'time', operator: 'after', value: '2026-01-01' },
          { field: 'action', operator: 'is_any_of', values: ['export.requested', 'export.downloaded'] },
        ],
        or: [{ field: 'actor', operator: 'contains', value: 'admin' }],
      },
    ]);
  });

  it('names every field of another source, unknown operator, bad value and ticket-only part', () => {
    expect(
      failures(() =>
        parseExportRequest(
          {
            source: 'users',
            viewId: '0b000000-0000-4000-8000-000000000001',
            search: 'x',
            ticketIds: [1],
            columns: ['name', 'status', 'passwordHash'],
            sort: [{ field: 'creationTime' }],
            filters: {
              and: [
                { field: 'status', operator: 'is', value: 'open' },
                { field: 'email', operator: 'is_any_of', values: ['a'] },
                { field: 'admin', operator: 'is', value: 'yes' },
                { field: 'created', operator: 'after', value: 'yesterday' },
              ],
            },
          },
          null,
        ),
      ).map((e) => e.field),
    ).toEqual([
      'viewId',
      'search',
      'ticketIds',
      'columns[1]',
      'columns[2]',
      'sort[0].field',
      'filters.and[0].field',
      'filters.and[1].operator',
      'filters.and[2].value',
      'filters.and[3].value',
    ]);
  });

  it('keeps the tickets grammar for tickets: an audit field there is unknown', () => {
    expect(
      failures(() =>
        parseExportRequest({ filters: { and: [{ field: 'actor', operator: 'eq', value: 'a' }] } }, null),
      ).map((e) => e.field),
    ).toEqual(['filters.and[0].field']);
  });
});

describe('ticket-analytics (domain part)', () => {
  const range = (from: string | undefined, to: string | undefined): Record<string, unknown> => ({
    and: [
      ...(from === undefined ? [] : [{ field: 'date', operator: 'on_or_after', value: from }]),
      ...(to === undefined ? [] : [{ field: 'date', operator: 'on_or_before', value: to }]),
    ],
  });
  const parse = (filters?: Record<string, unknown>) => TICKET_ANALYTICS_SOURCE.parseQuery({ filters }, null);

  it('takes a range of up to 366 days, both ends included', () => {
    expect(parse(range('2024-01-01', '2024-12-31')).conditions[0].and).toHaveLength(2); // 366 days, a leap year
    expect(parse(range('2026-03-01', '2026-03-01')).columns).toHaveLength(9);
  });

  it.each([
    ['no filters', undefined, 'filters.and'],
    ['no upper bound', range('2026-01-01', undefined), 'filters.and'],
    ['367 days', range('2025-01-01', '2026-01-02'), 'filters.and[1].value'],
    ['a reversed range', range('2026-02-01', '2026-01-31'), 'filters.and[1].value'],
    ['a date-time bound', range('2026-01-01T00:00:00Z', '2026-01-31'), 'filters.and[0].value'],
    [
      'a repeated on_or_after bound',
      {
        and: [
          ...(range('2026-01-01', '2026-01-31').and as unknown[]),
          { field: 'date', operator: 'on_or_after', value: '2026-01-15' },
        ],
      },
      'filters.and[2].operator',
    ],
    [
      'a repeated on_or_before bound, before the other',
      {
        and: [
          { field: 'date', operator: 'on_or_before', value: '2026-01-15' },
          ...(range('2026-01-01', '2026-01-31').and as unknown[]),
        ],
      },
      'filters.and[2].operator',
    ],
  ])('refuses %s, naming the field', (_, filters, field) => {
    expect(failures(() => parse(filters))).toEqual([{ field, message: expect.any(String) as string }]);
  });

  it('needs ImportExportTickets to request', () => {
    expect(TICKET_ANALYTICS_SOURCE.canRequest(IDENTITIES['agent@acme'])).toBe(true);
    expect(TICKET_ANALYTICS_SOURCE.canRequest(IDENTITIES['auditor@acme'])).toBe(false);
  });
});
