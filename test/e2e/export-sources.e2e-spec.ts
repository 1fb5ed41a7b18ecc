/**
 * Redis database 12 (this spec's own queue).
 *
 * The export sources of issue #16 through the API and a real worker process: what GET /export-sources lists for
 * each of the five seeded identities, who may request each source, bad input (unknown source, a field of another
 * source, ticket-only parts), and audit-events and users exports end to end in every format, their rows compared
 * with plain SQL, their own audit rows naming the source.
 */
import { GLOBEX } from '@app/infrastructure';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import type { Pool } from 'pg';
import request from 'supertest';
import {
  bearer,
  bytesBody,
  cancelActiveJobs,
  eventually,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testPool } from '../support/database';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { readCsv, readJson, readNdjson } from '../support/file-readers';
import { readXlsx } from '../support/spreadsheets';
import { emptyRedisDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(120_000);

const REDIS_DB = 12;
const WHO = ['admin', 'agent', 'viewer', 'auditor', 'globex admin'] as const;
type Who = (typeof WHO)[number];

interface Job {
  id: string;
  source: string;
  status: string;
  requestedAt: string;
  file: { name: string; contentType: string; rowCount: number } | null;
  links: { self: string; download?: string };
}

describe('export sources', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let pool: Pool;
  let acme: TestTenant;
  let globex: TestTenant;
  const auth = new Map<Who, Record<string, string>>();
  const as = (who: Who): Record<string, string> => auth.get(who) as Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    globex = await createTestTenant(pool, GLOBEX);
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, ip, user_agent, details, created_at)
       SELECT $1, $2, 'export.downloaded', '10.1.1.' || n, '=cmd|' || n, jsonb_build_object('n', n), now() - n * interval '1 minute'
         FROM generate_series(1, 30) AS n`,
      [acme.id, acme.userId('agent')],
    );
    const redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl, EXPORT_MAX_ACTIVE_PER_USER: '100' },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    worker = await startWorker({
      env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
    });
    for (const who of WHO)
      auth.set(
        who,
        bearer(tokenFor(api.config, who === 'globex admin' ? globex : acme, who.split(' ').at(-1) as string)),
      );
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id, globex.id]);
    await api?.close();
    await pool.end();
  });

  const post = (who: Who, body: Record<string, unknown>) =>
    request(api.baseUrl).post('/export-jobs').set(as(who)).send(body);

  async function finished(who: Who, id: string): Promise<Job> {
    return eventually(
      async () => (await request(api.baseUrl).get(`/export-jobs/${id}`).set(as(who))).body as Job,
      (job) => !['queued', 'running'].includes(job.status),
      90_000,
    );
  }

  async function download(who: Who, job: Job): Promise<Buffer> {
    const response = await request(api.baseUrl)
      .get(`/export-jobs/${job.id}/download`)
      .set(as(who))
      .buffer(true)
      .parse(bytesBody);
    expect(response.status).toBe(200);
    return response.body as Buffer;
  }

  it.each([
    ['admin', ['tickets', 'audit-events', 'users', 'ticket-analytics']],
    ['agent', ['tickets', 'ticket-analytics']],
    ['viewer', []],
    ['auditor', ['users']],
    ['globex admin', ['tickets', 'audit-events', 'users', 'ticket-analytics']],
  ] as const)('GET /export-sources lists for %s: %j', async (who, keys) => {
    const response = await request(api.baseUrl).get('/export-sources').set(as(who));
    expect(response.status).toBe(200);
    const items = (response.body as { items: { key: string }[] }).items;
    expect(items.map((s) => s.key)).toEqual(keys);
  });

  it('GET /export-sources describes formats, columns, default columns and filter fields', async () => {
    const response = await request(api.baseUrl).get('/export-sources').set(as('admin'));
    const audit = (response.body as { items: Record<string, unknown>[] }).items.find(
      (s) => s.key === 'audit-events',
    );
    expect(audit).toEqual({
      key: 'audit-events',
      label: 'Audit log',
      formats: ['csv', 'json', 'ndjson', 'xlsx', 'pdf'],
      columns: expect.arrayContaining([{ key: 'time', label: 'Time', type: 'date' }]) as unknown,
      defaultColumns: ['time', 'actorEmail', 'action', 'jobId', 'ip', 'userAgent', 'details'],
      filterFields: [
        { key: 'time', type: 'date', operators: ['after', 'before', 'on_or_after', 'on_or_before'] },
        { key: 'action', type: 'choice', operators: ['is', 'is_not', 'is_any_of', 'is_none_of'] },
        { key: 'actor', type: 'text', operators: expect.arrayContaining(['eq', 'is_empty']) as unknown },
      ],
    });
    expect((await request(api.baseUrl).get('/export-sources')).status).toBe(401);
  });

  // prettier-ignore
  it.each([
    ['tickets',      { admin: 202, agent: 202, viewer: 403, auditor: 403, 'globex admin': 202 }],
    ['audit-events', { admin: 202, agent: 403, viewer: 403, auditor: 403, 'globex admin': 202 }],
    ['users',        { admin: 202, agent: 403, viewer: 403, auditor: 202, 'globex admin': 202 }],
  ] as const)('POST /export-jobs with source %s: who may request it', async (source, expected) => {
    for (const who of WHO) {
      const response = await post(who, { source, format: 'ndjson' });
      expect([who, response.status]).toEqual([who, expected[who]]);
      if (response.status === 403) expect(response.body).toMatchObject({ code: 'ACCESS_DENIED' });
      else expect((response.body as Job).source).toBe(source);
    }
  });

  it.each([
    [{ source: 'invoices' }, ['source']],
    [
      { source: 'audit-events', filters: { and: [{ field: 'status', operator: 'is', value: 'open' }] } },
      ['filters.and[0].field'],
    ],
    [{ source: 'users', columns: ['email', 'passwordHash'] }, ['columns[1]']],
    [{ source: 'users', viewId: '0b000000-0000-4000-8000-000000000001', search: 'x' }, ['viewId', 'search']],
    [{ filters: { and: [{ field: 'action', operator: 'is', value: 'x' }] } }, ['filters.and[0].field']],
  ])('POST /export-jobs %j is a 400 naming %j', async (body, fields) => {
    const response = await post('admin', body);
    expect(response.status).toBe(400);
    expect((response.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(fields);
  });

  it('an estimate is of tickets only: 400 naming source for another', async () => {
    const response = await request(api.baseUrl)
      .post('/export-jobs/estimate')
      .set(as('admin'))
      .send({ source: 'users' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [{ field: 'source' }] });
  });

  it('audit-events: the CSV holds the audit log of the tenant as of the request, and its own rows name the source', async () => {
    const created = await post('admin', {
      source: 'audit-events',
      filters: { and: [{ field: 'action', operator: 'is_any_of', values: ['export.downloaded'] }] },
    });
    expect(created.status).toBe(202);
    const job = await finished('admin', (created.body as Job).id);
    expect(job.status).toBe('completed');
    expect(job.file?.name).toMatch(/^audit-events-\d{8}-\d{6}\.csv$/);
    const { header, records } = readCsv(await download('admin', job));
    expect(header).toEqual(['Time', 'Actor Email', 'Action', 'Job ID', 'IP', 'User Agent', 'Details']);
    const { rows } = await pool.query<{ ip: string; ua: string }>(
      `SELECT ip, user_agent AS ua FROM audit_events WHERE tenant_id = $1 AND action = 'export.downloaded'
          AND created_at <= $2 ORDER BY created_at DESC, id DESC`,
      [acme.id, job.requestedAt],
    );
    expect(records.map((r) => [r[1], r[4], r[5]])).toEqual(
      rows.map((r) => [acme.email('agent'), r.ip, `'${r.ua}`]),
    );
    expect(job.file?.rowCount).toBe(rows.length);
    const audit = await pool.query<{ action: string; source: string }>(
      `SELECT action, details->>'source' AS source FROM audit_events WHERE job_id = $1 ORDER BY id`,
      [job.id],
    );
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { action: 'export.requested', source: 'audit-events' },
        { action: 'export.completed', source: 'audit-events' },
      ]),
    );
  });

  it('users: every format completes and holds the tenant users, in name order', async () => {
    const { rows } = await pool.query<{ email: string }>(
      'SELECT email FROM users WHERE tenant_id = $1 ORDER BY name, id',
      [acme.id],
    );
    const emails = rows.map((r) => r.email);
    for (const format of ['csv', 'json', 'ndjson', 'xlsx', 'pdf'] as const) {
      const created = await post('admin', { source: 'users', format });
      const job = await finished('admin', (created.body as Job).id);
      expect([format, job.status]).toEqual([format, 'completed']);
      expect(job.file?.rowCount).toBe(emails.length);
      const bytes = await download('admin', job);
      if (format === 'csv') expect(readCsv(bytes).records.map((r) => r[1])).toEqual(emails);
      if (format === 'json') expect(readJson(bytes).map((r) => r.email)).toEqual(emails);
      if (format === 'ndjson') expect(readNdjson(bytes).map((r) => r.email)).toEqual(emails);
      if (format === 'xlsx') {
        const [sheet] = await readXlsx(bytes);
        expect([sheet.name, ...sheet.rows.slice(1).map((r) => r[1])]).toEqual(['Staff users', ...emails]);
      }
      if (format === 'pdf') expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    }
  });

  describe('ticket-analytics', () => {
    const range = (from: string, to: string) => ({
      and: [
        { field: 'date', operator: 'on_or_after', value: from },
        { field: 'date', operator: 'on_or_before', value: to },
      ],
    });
    const TEAMS = ['Billing', 'Customer Success', 'Escalations', 'Onboarding', 'Technical Support'];
    const at = (iso: string) => new Date(iso);

    beforeAll(async () => {
      // Berlin days of March 2026 (UTC+1 until the 29th). Hand-counted below, independently of the SQL.
      await insertTickets(pool, acme, [
        // Billing: created 1st 10:00, resolved 2nd 10:00 (24 h), closed 3rd.
        aTicket({
          team: 'Billing',
          creationTime: at('2026-03-01T09:00:00Z'),
          resolvedAt: at('2026-03-02T09:00:00Z'),
          closedAt: at('2026-03-03T09:00:00Z'),
        }),
        // Billing: created 1st 23:30 local (22:30Z), resolved 2nd after 12 h; SLA due on the 2nd, met.
        aTicket({
          team: 'Billing',
          creationTime: at('2026-03-01T22:30:00Z'),
          resolvedAt: at('2026-03-02T10:30:00Z'),
          slaDueAt: at('2026-03-02T12:00:00Z'),
        }),
        // Escalations: created 2nd, never resolved, SLA due on the 3rd: a breach that day.
        aTicket({
          team: 'Escalations',
          creationTime: at('2026-03-02T08:00:00Z'),
          slaDueAt: at('2026-03-03T08:00:00Z'),
        }),
        // No team: created before the range, still open: part of every day's backlog.
        aTicket({ team: null, creationTime: at('2026-02-20T08:00:00Z') }),
        // Deleted before the export: counts nowhere.
        aTicket({
          team: 'Onboarding',
          creationTime: at('2026-03-02T08:00:00Z'),
          deletedAt: at('2026-03-02T09:00:00Z'),
        }),
      ]);
    });

    it('may be requested with ImportExportTickets (admins and the agent), not by the viewer or the auditor', async () => {
      const body = {
        source: 'ticket-analytics',
        filters: range('2026-03-01', '2026-03-03'),
        format: 'ndjson',
      };
      const expected = { admin: 202, agent: 202, viewer: 403, auditor: 403, 'globex admin': 202 };
      for (const who of WHO) expect([who, (await post(who, body)).status]).toEqual([who, expected[who]]);
    });

    it.each([
      [{}, ['filters.and']],
      [{ filters: range('2026-01-01', '2027-01-02') }, ['filters.and[1].value']],
      [{ filters: range('2026-03-03', '2026-03-01') }, ['filters.and[1].value']],
      [
        {
          filters: {
            and: [
              ...range('2026-03-01', '2026-03-02').and,
              { field: 'status', operator: 'is', value: 'open' },
            ],
          },
        },
        ['filters.and[2].field'],
      ],
      [
        {
          filters: {
            and: [
              ...range('2026-03-01', '2026-03-02').and,
              { field: 'date', operator: 'on_or_after', value: '2026-03-02' },
            ],
          },
        },
        ['filters.and[2].operator'],
      ],
    ])('POST %j is a 400 naming %j', async (body, fields) => {
      const response = await post('admin', { source: 'ticket-analytics', ...body });
      expect(response.status).toBe(400);
      expect((response.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(fields);
    });

    it('one row per Berlin day and team, counted as of the request, in every format', async () => {
      const row = (
        date: string,
        team: string,
        values: Partial<Record<string, number | string | null>> = {},
      ) => ({
        date,
        team,
        created: 0,
        resolved: 0,
        closed: 0,
        medianResolutionHours: null,
        p90ResolutionHours: null,
        slaBreaches: 0,
        openAtEndOfDay: 0,
        ...values,
      });
      const day = (date: string, byTeam: Record<string, Partial<Record<string, number | string | null>>>) =>
        [...TEAMS, ''].map((team) => row(date, team, byTeam[team] ?? {}));
      const expected = [
        ...day('2026-03-01', { Billing: { created: 2, openAtEndOfDay: 2 }, '': { openAtEndOfDay: 1 } }),
        ...day('2026-03-02', {
          Billing: { resolved: 2, medianResolutionHours: 18, p90ResolutionHours: 22.8, openAtEndOfDay: 2 },
          Escalations: { created: 1, openAtEndOfDay: 1 },
          '': { openAtEndOfDay: 1 },
        }),
        ...day('2026-03-03', {
          Billing: { closed: 1, openAtEndOfDay: 1 },
          Escalations: { slaBreaches: 1, openAtEndOfDay: 1 },
          '': { openAtEndOfDay: 1 },
        }),
      ];
      for (const format of ['ndjson', 'csv', 'json', 'xlsx', 'pdf'] as const) {
        const created = await post('agent', {
          source: 'ticket-analytics',
          format,
          timezone: 'Europe/Berlin',
          filters: range('2026-03-01', '2026-03-03'),
        });
        expect(created.status).toBe(202);
        const job = await finished('agent', (created.body as Job).id);
        expect([format, job.status, job.file?.rowCount]).toEqual([format, 'completed', expected.length]);
        const bytes = await download('admin', job);
        if (format === 'ndjson') expect(readNdjson(bytes)).toEqual(expected);
        if (format === 'json') expect(readJson(bytes)).toEqual(expected);
        if (format === 'csv') {
          const { header, records } = readCsv(bytes);
          expect(header.slice(0, 3)).toEqual(['Date', 'Team', 'Created']);
          expect(records.map((r) => r.slice(0, 3))).toEqual(
            expected.map((e) => [e.date, e.team, String(e.created)]),
          );
        }
        if (format === 'xlsx') {
          const [sheet] = await readXlsx(bytes);
          expect([sheet.name, sheet.rows.length]).toEqual(['Ticket analytics', expected.length + 1]);
        }
        if (format === 'pdf') expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      }
    });
  });

  it('downloads stay with export admins: the auditor may request users but not download them', async () => {
    const created = await post('auditor', { source: 'users' });
    expect(created.status).toBe(202);
    const job = await finished('auditor', (created.body as Job).id);
    expect(job.status).toBe('completed');
    expect(job.links.download).toBeUndefined();
    const denied = await request(api.baseUrl).get(`/export-jobs/${job.id}/download`).set(as('auditor'));
    expect(denied.status).toBe(403);
    expect(
      (await request(api.baseUrl).get(`/export-jobs/${job.id}/download`).set(as('globex admin'))).status,
    ).toBe(404);
    expect(await download('admin', job)).toBeInstanceOf(Buffer);
  });
});
