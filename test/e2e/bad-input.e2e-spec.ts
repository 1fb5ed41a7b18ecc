import type { Pool } from 'pg';
import request from 'supertest';
import { bearer, startApi, type StartedApi, tokenFor } from '../support/api';
import { testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';

/**
 * Bad input of every kind, each answered with a 4xx problem that names what is wrong; none may reach a 5xx.
 * `field` is the entry expected in errors[]; `code` the problem code when no field applies.
 */
interface Case {
  readonly name: string;
  readonly expect: { readonly status: number; readonly field?: string; readonly code?: string };
  readonly send: (http: Http) => request.Test;
}
interface Http {
  readonly post: (path: string, body: unknown, headers?: Record<string, string>) => request.Test;
  readonly get: (path: string) => request.Test;
}

const condition = (c: Record<string, unknown>) => ({ filters: { and: [c] } });
const create = (name: string, body: unknown, status: number, field?: string, code?: string): Case => ({
  name: `POST /export-jobs ${name}`,
  expect: { status, field, code },
  send: (http) => http.post('/export-jobs', body),
});
const get = (name: string, path: string, field: string): Case => ({
  name: `GET ${name}`,
  expect: { status: 400, field },
  send: (http) => http.get(path),
});
const JOB = '00000000-0000-4000-8000-000000000001';
const TEN_THOUSAND = Array.from({ length: 10_000 }, (_, i) => `column${i}`);

const CASES: readonly Case[] = [
  create('format unknown', { format: 'xls' }, 400, 'format'),
  create('format not a string', { format: 5 }, 400, 'format'),
  create('source unknown', { source: 'invoices' }, 400, 'source'),
  create('viewId not a UUID', { viewId: 'abc' }, 400, 'viewId'),
  create('viewId not a string', { viewId: 123 }, 400, 'viewId'),
  create('columns not an array', { columns: 'id' }, 400, 'columns'),
  create('columns empty', { columns: [] }, 400, 'columns'),
  create('column unknown', { columns: ['id', 'nope'] }, 400, 'columns[1]'),
  create('column duplicated', { columns: ['id', 'id'] }, 400, 'columns[1]'),
  create('column not a string', { columns: [1] }, 400, 'columns[0]'),
  create('51 columns', { columns: Array.from({ length: 51 }, () => 'id') }, 400, 'columns'),
  create('10,000 columns', { columns: TEN_THOUSAND }, 400, 'columns'),
  create('filters an array', { filters: [] }, 400, 'filters'),
  create('filters a string', { filters: 'status=open' }, 400, 'filters'),
  create('filters.and not an array', { filters: { and: 'x' } }, 400, 'filters.and'),
  create('filters with an unknown group', { filters: { xor: [] } }, 400, 'filters.xor'),
  create('condition not an object', { filters: { or: ['x'] } }, 400, 'filters.or[0]'),
  create(
    'condition field unknown',
    condition({ field: 'nope', operator: 'eq', value: 'x' }),
    400,
    'filters.and[0].field',
  ),
  create(
    'condition operator unknown',
    condition({ field: 'title', operator: 'between', value: 'x' }),
    400,
    'filters.and[0].operator',
  ),
  create(
    'operator of another type',
    condition({ field: 'creationTime', operator: 'contains', value: 'x' }),
    400,
    'filters.and[0].operator',
  ),
  create(
    '51 conditions',
    { filters: { and: Array.from({ length: 51 }, () => ({ field: 'id', operator: 'eq', value: 1 })) } },
    400,
    'filters.and',
  ),
  create(
    'date value not a date',
    condition({ field: 'creationTime', operator: 'before', value: 'yesterday' }),
    400,
    'filters.and[0].value',
  ),
  create(
    'date value out of range',
    condition({ field: 'creationTime', operator: 'after', value: '2026-02-30' }),
    400,
    'filters.and[0].value',
  ),
  create(
    'number value not a number',
    condition({ field: 'id', operator: 'gt', value: 'abc' }),
    400,
    'filters.and[0].value',
  ),
  create(
    'number value beyond bigint',
    condition({ field: 'id', operator: 'eq', value: '1'.repeat(30) }),
    400,
    'filters.and[0].value',
  ),
  create(
    'values empty',
    condition({ field: 'status', operator: 'is_any_of', values: [] }),
    400,
    'filters.and[0].values',
  ),
  create(
    'assignee not a user id',
    condition({ field: 'assignee', operator: 'is', value: 'bob' }),
    400,
    'filters.and[0].value',
  ),
  create(
    'within_past_days zero',
    condition({ field: 'creationTime', operator: 'within_past_days', value: 0 }),
    400,
    'filters.and[0].value',
  ),
  create(
    'value over 1000 characters',
    condition({ field: 'title', operator: 'eq', value: 'x'.repeat(1001) }),
    400,
    'filters.and[0].value',
  ),
  create('sort not an array', { sort: 'title' }, 400, 'sort'),
  create(
    '4 sort levels',
    { sort: ['id', 'title', 'status', 'priority'].map((field) => ({ field })) },
    400,
    'sort',
  ),
  create('sort on a field that does not sort', { sort: [{ field: 'description' }] }, 400, 'sort[0].field'),
  create('sort direction unknown', { sort: [{ field: 'title', direction: 'up' }] }, 400, 'sort[0].direction'),
  create('search over 200 characters', { search: 'x'.repeat(201) }, 400, 'search'),
  create('search of 900 KB', { search: 'x'.repeat(900 * 1024) }, 400, 'search'),
  create('search not a string', { search: 5 }, 400, 'search'),
  create('timezone unknown', { timezone: 'Mars/Olympus' }, 400, 'timezone'),
  create('timezone with SQL in it', { timezone: "UTC'; DROP TABLE tickets; --" }, 400, 'timezone'),
  create('fileName with a path', { fileName: '../etc/passwd' }, 400, 'fileName'),
  create('fileName empty', { fileName: '' }, 400, 'fileName'),
  create('fileName over 100 characters', { fileName: 'a'.repeat(101) }, 400, 'fileName'),
  create('unknown property', { colums: ['id'] }, 400, 'colums'),
  create('body an array', [{ format: 'csv' }], 400, 'body'),
  create('body a 1 MB string', { search: 'x'.repeat(1024 * 1024) }, 413, undefined, 'PAYLOAD_TOO_LARGE'),
  {
    name: 'POST /export-jobs body not JSON at all',
    expect: { status: 400, code: 'MALFORMED_JSON' },
    send: (http) => http.post('/export-jobs', '{"format": "csv",', { 'Content-Type': 'application/json' }),
  },
  {
    name: 'POST /export-jobs body a JSON string',
    expect: { status: 400, code: 'MALFORMED_JSON' },
    send: (http) => http.post('/export-jobs', '"csv"', { 'Content-Type': 'application/json' }),
  },
  {
    name: 'POST /export-jobs body as text/plain',
    expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    send: (http) => http.post('/export-jobs', '{"format":"csv"}', { 'Content-Type': 'text/plain' }),
  },
  {
    name: 'POST /export-jobs body as a form',
    expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    send: (http) =>
      http.post('/export-jobs', 'format=csv', { 'Content-Type': 'application/x-www-form-urlencoded' }),
  },
  {
    name: 'POST /export-jobs Idempotency-Key over 255 characters',
    expect: { status: 400, field: 'Idempotency-Key' },
    send: (http) => http.post('/export-jobs', {}, { 'Idempotency-Key': 'k'.repeat(256) }),
  },
  get('/export-jobs limit 0', '/export-jobs?limit=0', 'limit'),
  get('/export-jobs limit 501', '/export-jobs?limit=501', 'limit'),
  get('/export-jobs limit not a number', '/export-jobs?limit=ten', 'limit'),
  get('/export-jobs limit not whole', '/export-jobs?limit=1.5', 'limit'),
  get('/export-jobs status unknown', '/export-jobs?status=queued,done', 'status'),
  get('/export-jobs cursor garbage', '/export-jobs?cursor=%7B%7D', 'cursor'),
  get(
    '/export-jobs cursor of another list',
    `/export-jobs?cursor=${Buffer.from(JSON.stringify({ l: 'ticket-views', k: ['0', 'a', JOB] })).toString('base64url')}`,
    'cursor',
  ),
  get(
    '/export-jobs cursor with a bad date',
    `/export-jobs?cursor=${Buffer.from(JSON.stringify({ l: 'export-jobs', k: ['2026-13-45T99:00:00Z', JOB] })).toString('base64url')}`,
    'cursor',
  ),
  get('/export-jobs/:id not a UUID', '/export-jobs/42', 'id'),
  get('/export-jobs/:id SQL in the id', "/export-jobs/1'%20OR%20'1'='1", 'id'),
  get('/export-jobs/:id/download not a UUID', '/export-jobs/nope/download', 'id'),
  {
    name: 'POST /export-jobs/:id/cancel not a UUID',
    expect: { status: 400, field: 'id' },
    send: (http) => http.post('/export-jobs/nope/cancel', undefined),
  },
  {
    name: 'POST /export-jobs/:id/retry not a UUID',
    expect: { status: 400, field: 'id' },
    send: (http) => http.post('/export-jobs/nope/retry', undefined),
  },
  get('/ticket-views limit 10000', '/ticket-views?limit=10000', 'limit'),
  get('/ticket-views cursor garbage', '/ticket-views?cursor=AAAA', 'cursor'),
  get('/ticket-views/:id/tickets not a UUID', '/ticket-views/all/tickets', 'id'),
];

describe('bad input', () => {
  let api: StartedApi;
  let pool: Pool;
  let acme: TestTenant;
  let http: Http;

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    api = await startApi();
    const auth = bearer(tokenFor(api.config, acme, 'admin'));
    http = {
      post: (path, body, headers = {}) => {
        const test = request(api.baseUrl).post(path).set(auth).set(headers);
        return body === undefined ? test : test.send(body as object);
      },
      get: (path) => request(api.baseUrl).get(path).set(auth),
    };
  });

  afterAll(async () => {
    await api.close();
    await pool.end();
  });

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$name -> $expect.status $expect.field', async ({ send, expect: expected }) => {
    const response = await send(http);
    expect(response.status).toBeLessThan(500);
    expect(response.status).toBe(expected.status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.body as { status: number; code: string; errors?: { field: string }[] };
    expect(body.status).toBe(expected.status);
    if (expected.field !== undefined) {
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.errors?.map((e) => e.field)).toContain(expected.field);
    }
    if (expected.code !== undefined) expect(body.code).toBe(expected.code);
  });

  it('names every bad field of one body at once', async () => {
    const response = await http.post('/export-jobs', {
      format: 'xls',
      columns: ['id', 'nope'],
      filters: { and: [{ field: 'title', operator: 'between' }] },
      timezone: 'Nowhere/Land',
      fileName: '/abs',
    });
    expect(response.status).toBe(400);
    const fields = (response.body as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual([
      'columns[1]',
      'fileName',
      'filters.and[0].operator',
      'format',
      'timezone',
    ]);
  });

  it('a view id of no visible view is 404, not 400', async () => {
    const response = await http.post('/export-jobs', { viewId: JOB });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'TICKET_VIEW.NOT_FOUND' });
  });

  it('an unknown job id is 404', async () => {
    const response = await http.get(`/export-jobs/${JOB}`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
  });
});
