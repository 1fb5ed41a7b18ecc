/**
 * Redis database 13 (this spec's own queue).
 *
 * Issue #16 asks that everything but the rows stays uniform across sources. This spec drives the audit log (and the
 * staff users where it is cheap) through what every tickets export goes through, over HTTP with real workers:
 * Idempotency-Key replays, the job's column labels, cancel, a failure at counting and its retry (who may retry it,
 * and the retry's rows), every format read back by independent readers, and expiry after the retention cleanup.
 *
 * Workers come and go on purpose: none runs while jobs must stay queued; then one with a lowered XLSX cap, so that
 * the whole audit log fails at counting; then one at the default caps, which the retry of that job then passes.
 */
import { randomUUID } from 'node:crypto';
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
import { runCleanupCli, settleOtherTenantsUploads } from '../support/cleanup';
import { testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { readJson, readNdjson } from '../support/file-readers';
import { describeWithPoppler, pdfText } from '../support/pdf-tools';
import { readXlsx } from '../support/spreadsheets';
import { emptyRedisDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(180_000);

const REDIS_DB = 13;
/** The first worker's EXPORT_XLSX_MAX_ROWS: the fixture rows fit, the whole audit log does not. */
const XLSX_CAP = 20;
/** An action of this spec's own audit rows, so a filter picks exactly them. */
const FIXTURE = 'fixture.checked';
const FIXTURE_ROWS = 12;
const AUDIT_LOG_DENIED =
  'Exporting the audit log needs an administrator with the Import / Export Tickets permission.';

type Who = 'admin' | 'auditor';

interface Job {
  id: string;
  source: string;
  format: string;
  status: string;
  requestedAt: string;
  retryOf: string | null;
  columns: { key: string; label: string }[];
  file: { name: string; contentType: string; rowCount: number } | null;
  error: { code: string; message: string } | null;
  links: { self: string; download?: string };
}

interface SourceBody {
  key: string;
  columns: { key: string; label: string }[];
  defaultColumns: string[];
}

describe('the job lifecycle of the audit-events and users sources', () => {
  let api: StartedApi;
  let pool: Pool;
  let acme: TestTenant;
  let redisUrl: string;
  let worker: RunningWorker | undefined;
  const auth = new Map<Who, Record<string, string>>();
  const as = (who: Who): Record<string, string> => auth.get(who) as Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    // The agent's downloads an hour ago, then this spec's fixture rows, one a minute: the newest are the fixtures.
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, ip, user_agent, details, created_at)
       SELECT $1, $2, 'export.downloaded', '10.1.1.' || (100 + n), 'curl/8', jsonb_build_object('n', n),
              now() - interval '1 hour' - n * interval '1 minute'
         FROM generate_series(1, 30) AS n`,
      [acme.id, acme.userId('agent')],
    );
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, ip, user_agent, details, created_at)
       SELECT $1, $2, $3, '10.2.0.' || (100 + n), 'probe/' || n || ' "quoted", comma',
              jsonb_build_object('n', n, 'note', 'a "fixture"'), now() - n * interval '1 minute'
         FROM generate_series(1, $4::int) AS n`,
      [acme.id, acme.userId('agent'), FIXTURE, FIXTURE_ROWS],
    );
    redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl, EXPORT_MAX_ACTIVE_PER_USER: '100' },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    for (const who of ['admin', 'auditor'] as const) auth.set(who, bearer(tokenFor(api.config, acme, who)));
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id]);
    await api?.close();
    await pool.end();
  });

  const post = (who: Who, body: Record<string, unknown>, idempotencyKey?: string) => {
    const call = request(api.baseUrl).post('/export-jobs').set(as(who));
    return (idempotencyKey === undefined ? call : call.set('Idempotency-Key', idempotencyKey)).send(body);
  };
  const get = async (who: Who, id: string): Promise<Job> =>
    (await request(api.baseUrl).get(`/export-jobs/${id}`).set(as(who))).body as Job;
  const finished = (who: Who, id: string): Promise<Job> =>
    eventually(
      () => get(who, id),
      (job) => !['queued', 'running'].includes(job.status),
      120_000,
    );
  const download = (who: Who, job: Job) =>
    request(api.baseUrl).get(`/export-jobs/${job.id}/download`).set(as(who)).buffer(true).parse(bytesBody);

  async function exported(body: Record<string, unknown>): Promise<{ job: Job; bytes: Buffer }> {
    const created = await post('admin', body);
    expect(created.status).toBe(202);
    const job = await finished('admin', (created.body as Job).id);
    expect([job.format, job.status, job.error]).toEqual([body.format, 'completed', null]);
    const response = await download('admin', job);
    expect(response.status).toBe(200);
    return { job, bytes: response.body as Buffer };
  }

  /** The tenant's audit rows as of a job's request, newest first then by id: the source's snapshot and order. */
  async function auditRowsAsOf(requestedAt: string, action?: string) {
    const { rows } = await pool.query<{
      actor_email: string | null;
      action: string;
      ip: string | null;
      user_agent: string | null;
      details: string;
    }>(
      `SELECT u.email AS actor_email, a.action, a.ip, a.user_agent, a.details::text AS details
         FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
        WHERE a.tenant_id = $1 AND a.created_at <= $2 AND ($3::text IS NULL OR a.action = $3)
        ORDER BY a.created_at DESC, a.id DESC`,
      [acme.id, requestedAt, action ?? null],
    );
    return rows;
  }

  describe('while no worker runs (jobs stay queued)', () => {
    const replayed = new Map<string, Job>();

    it.each(['audit-events', 'users'])(
      '%s: the same Idempotency-Key and body answer the same job (200), another body is a 409',
      async (source) => {
        const key = `lifecycle-${source}-${randomUUID()}`;
        const first = await post('admin', { source, format: 'ndjson' }, key);
        expect(first.status).toBe(202);
        const again = await post('admin', { format: 'ndjson', source }, key);
        expect(again.status).toBe(200);
        expect((again.body as Job).id).toBe((first.body as Job).id);
        expect(again.headers.location).toBe(`/export-jobs/${(first.body as Job).id}`);
        const other = await post('admin', { source, format: 'json' }, key);
        expect(other.status).toBe(409);
        expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY.REUSED' });
        const { rows } = await pool.query(
          'SELECT count(*)::int AS n FROM export_jobs WHERE tenant_id = $1 AND idempotency_key = $2',
          [acme.id, key],
        );
        expect(rows).toEqual([{ n: 1 }]);
        replayed.set(source, first.body as Job);
      },
    );

    it('a job names its columns with the labels GET /export-sources gives for its source', async () => {
      const listed = await request(api.baseUrl).get('/export-sources').set(as('admin'));
      const sources = (listed.body as { items: SourceBody[] }).items;
      const refsOf = (key: string, columns?: string[]) => {
        const source = sources.find((s) => s.key === key) as SourceBody;
        return (columns ?? source.defaultColumns).map((column) => {
          const declared = source.columns.find((c) => c.key === column);
          return { key: column, label: declared?.label };
        });
      };
      for (const source of ['audit-events', 'users']) {
        const job = replayed.get(source) as Job;
        // From the command's answer and from the read model's SQL: the same labels.
        expect(job.columns).toEqual(refsOf(source));
        expect((await get('admin', job.id)).columns).toEqual(refsOf(source));
      }
      expect(refsOf('audit-events')).toContainEqual({ key: 'actorEmail', label: 'Actor Email' });
      const chosen = await post('admin', { source: 'audit-events', columns: ['ip', 'actorEmail'] });
      expect((chosen.body as Job).columns).toEqual([
        { key: 'ip', label: 'IP' },
        { key: 'actorEmail', label: 'Actor Email' },
      ]);
      expect((await get('admin', (chosen.body as Job).id)).columns).toEqual(
        refsOf('audit-events', ['ip', 'actorEmail']),
      );
    });

    it('cancels a queued audit-events job (audited, then 409); the auditor may request users but not cancel them', async () => {
      const created = await post('admin', { source: 'audit-events', format: 'csv' });
      expect(created.status).toBe(202);
      const id = (created.body as Job).id;
      const cancelled = await request(api.baseUrl).post(`/export-jobs/${id}/cancel`).set(as('admin'));
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id, source: 'audit-events', status: 'cancelled', stage: null });
      const again = await request(api.baseUrl).post(`/export-jobs/${id}/cancel`).set(as('admin'));
      expect(again.status).toBe(409);
      const { rows } = await pool.query<{ action: string }>(
        'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
        [id],
      );
      expect(rows.map((r) => r.action)).toEqual(['export.requested', 'export.cancelled']);

      // CONTRACT §3: cancel and retry need ImportExportTickets (or an export admin), whatever the source.
      const users = await post('auditor', { source: 'users' });
      expect(users.status).toBe(202);
      const usersId = (users.body as Job).id;
      const refused = await request(api.baseUrl).post(`/export-jobs/${usersId}/cancel`).set(as('auditor'));
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'ACCESS_DENIED' });
      const byAdmin = await request(api.baseUrl).post(`/export-jobs/${usersId}/cancel`).set(as('admin'));
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toMatchObject({ status: 'cancelled' });
    });
  });

  describe(`with a worker whose EXPORT_XLSX_MAX_ROWS is ${XLSX_CAP}`, () => {
    const completed: Job[] = [];
    let tooLarge: Job;

    beforeAll(async () => {
      worker = await startWorker({
        env: {
          REDIS_URL: redisUrl,
          STORAGE_DRIVER: 'local',
          STORAGE_LOCAL_DIR: api.storageDir,
          EXPORT_XLSX_MAX_ROWS: String(XLSX_CAP),
        },
      });
    });

    afterAll(async () => {
      await worker?.stop();
      worker = undefined;
    });

    const fixtures = { and: [{ field: 'action', operator: 'is_any_of', values: [FIXTURE] }] };

    it.each(['json', 'ndjson'] as const)(
      'audit-events as %s: the rows of plain SQL, typed, in time order',
      async (format) => {
        const { job, bytes } = await exported({ source: 'audit-events', format, filters: fixtures });
        completed.push(job);
        const expected = await auditRowsAsOf(job.requestedAt, FIXTURE);
        expect(expected).toHaveLength(FIXTURE_ROWS);
        const records = format === 'json' ? readJson(bytes) : readNdjson(bytes);
        expect(records.map((r) => Object.keys(r))).toEqual(
          expected.map(() => ['time', 'actorEmail', 'action', 'jobId', 'ip', 'userAgent', 'details']),
        );
        expect(records.map((r) => [r.actorEmail, r.action, r.jobId, r.ip, r.userAgent, r.details])).toEqual(
          expected.map((r) => [r.actor_email, r.action, null, r.ip, r.user_agent, r.details]),
        );
        expect(records.every((r) => typeof r.time === 'string' && !Number.isNaN(Date.parse(r.time)))).toBe(
          true,
        );
        expect(job.file?.rowCount).toBe(FIXTURE_ROWS);
      },
    );

    it('audit-events as xlsx: a sheet "Audit log" with the labels as header and the rows of plain SQL', async () => {
      const { job, bytes } = await exported({ source: 'audit-events', format: 'xlsx', filters: fixtures });
      const expected = await auditRowsAsOf(job.requestedAt, FIXTURE);
      const [sheet, ...more] = await readXlsx(bytes);
      expect(more).toEqual([]);
      expect(sheet.name).toBe('Audit log');
      expect(sheet.rows[0]).toEqual(job.columns.map((c) => c.label));
      expect(sheet.rows.slice(1).map((r) => [r[1], r[2], r[4], r[5], r[6]])).toEqual(
        expected.map((r) => [r.actor_email, r.action, r.ip, r.user_agent, r.details]),
      );
      expect(sheet.rows.slice(1).every((r) => r[0] instanceof Date)).toBe(true);
    });

    describeWithPoppler('audit-events as pdf', () => {
      it('titles the table with the source and its own labels, and holds the rows in time order', async () => {
        const { job, bytes } = await exported({
          source: 'audit-events',
          format: 'pdf',
          columns: ['action', 'ip'],
          filters: fixtures,
        });
        expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        const text = pdfText(bytes);
        expect(text).toContain('Audit log');
        expect(text).toContain(`Filters: Action is any of (${FIXTURE}) · Sort: Time desc`);
        expect(text).toMatch(/^\s*Action\s+IP\s*$/m);
        const expected = await auditRowsAsOf(job.requestedAt, FIXTURE);
        const at = expected.map((r) => {
          const match = new RegExp(`^\\s*${FIXTURE.replace('.', '\\.')}\\s+${r.ip}\\s*$`, 'm').exec(text);
          expect([r.ip, match === null]).toEqual([r.ip, false]);
          return match?.index ?? -1;
        });
        expect(at).toEqual([...at].sort((a, b) => a - b));
      });
    });

    it('fails the whole audit log as xlsx at counting with EXPORT_JOB.TOO_LARGE', async () => {
      const created = await post('admin', { source: 'audit-events', format: 'xlsx' });
      expect(created.status).toBe(202);
      tooLarge = await finished('admin', (created.body as Job).id);
      expect(tooLarge).toMatchObject({
        status: 'failed',
        file: null,
        error: { code: 'EXPORT_JOB.TOO_LARGE' },
      });
      expect(tooLarge.links.download).toBeUndefined();
    });

    it("refuses its retry to a requester who lost isAdmin but kept the permission, with the source's message", async () => {
      await pool.query('UPDATE users SET is_admin = false WHERE id = $1', [acme.userId('admin')]);
      try {
        const refused = await request(api.baseUrl).post(`/export-jobs/${tooLarge.id}/retry`).set(as('admin'));
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ code: 'ACCESS_DENIED', detail: AUDIT_LOG_DENIED });
      } finally {
        await pool.query('UPDATE users SET is_admin = true WHERE id = $1', [acme.userId('admin')]);
      }
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM export_jobs WHERE retry_of = $1`, [
        tooLarge.id,
      ]);
      expect(rows).toEqual([{ n: 0 }]);
    });

    it('expiry: after the retention cleanup an audit-events and a users job are expired, their downloads 410', async () => {
      const { job: users } = await exported({ source: 'users', format: 'ndjson' });
      const jobs = [completed[0], users];
      await pool.query(
        `UPDATE export_jobs SET expires_at = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`,
        [jobs.map((j) => j.id)],
      );
      await settleOtherTenantsUploads(pool, acme.id);
      const run = await runCleanupCli({
        REDIS_URL: redisUrl,
        STORAGE_DRIVER: 'local',
        STORAGE_LOCAL_DIR: api.storageDir,
      });
      expect(run.code).toBe(0);
      for (const job of jobs) {
        const now = await get('admin', job.id);
        expect([job.source, now.status, now.links.download]).toEqual([job.source, 'expired', undefined]);
        const gone = await download('admin', job);
        expect([job.source, gone.status]).toEqual([job.source, 410]);
        const { rows } = await pool.query<{ action: string }>(
          `SELECT action FROM audit_events WHERE job_id = $1 AND action = 'export.expired'`,
          [job.id],
        );
        expect(rows).toHaveLength(1);
      }
    });
  });

  describe('with a worker at the default caps', () => {
    beforeAll(async () => {
      worker = await startWorker({
        env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
      });
    });

    it('the retry of the failed job is a new xlsx job holding the whole audit log as of its request', async () => {
      const { rows: failed } = await pool.query<{ id: string }>(
        `SELECT id FROM export_jobs
          WHERE tenant_id = $1 AND source = 'audit-events' AND error_code = 'EXPORT_JOB.TOO_LARGE'`,
        [acme.id],
      );
      expect(failed).toHaveLength(1);
      const original = failed[0].id;
      const retried = await request(api.baseUrl).post(`/export-jobs/${original}/retry`).set(as('admin'));
      expect(retried.status).toBe(202);
      expect(retried.body).toMatchObject({ source: 'audit-events', format: 'xlsx', retryOf: original });
      const job = await finished('admin', (retried.body as Job).id);
      expect(job.status).toBe('completed');
      const response = await download('admin', job);
      expect(response.status).toBe(200);
      const [sheet] = await readXlsx(response.body as Buffer);
      const expected = await auditRowsAsOf(job.requestedAt);
      expect(expected.length).toBeGreaterThan(XLSX_CAP + FIXTURE_ROWS);
      expect(job.file?.rowCount).toBe(expected.length);
      expect(sheet.rows.slice(1).map((r) => [r[1], r[2], r[4]])).toEqual(
        expected.map((r) => [r.actor_email ?? undefined, r.action, r.ip ?? undefined]),
      );
      const { rows } = await pool.query<{ action: string }>(
        'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
        [job.id],
      );
      expect(rows.map((r) => r.action)).toEqual(['export.retried', 'export.completed', 'export.downloaded']);
    });
  });
});
