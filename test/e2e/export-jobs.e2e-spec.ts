import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  bearer,
  bytesBody,
  cancelActiveJobs,
  eventually,
  insertJob,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';

interface JobBody {
  id: string;
  status: string;
  retryOf: string | null;
  links: { self: string; download?: string };
  [key: string]: unknown;
}

const HOUR_MS = 3_600_000;

describe('export jobs over HTTP', () => {
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let admin: Record<string, string>;
  let agent: Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    api = await startApi({ env: { EXPORT_MAX_ACTIVE_PER_USER: '3' } });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
    agent = bearer(tokenFor(api.config, acme, 'agent'));
  });

  afterAll(async () => {
    await cancelActiveJobs(pool, [acme.id]);
    await api.close();
    await dataSource.destroy();
    await pool.end();
  });

  const http = () => request(api.baseUrl);

  async function auditOf(
    jobId: string,
  ): Promise<{ action: string; actor_id: string | null; details: unknown }[]> {
    const { rows } = await pool.query<{ action: string; actor_id: string | null; details: unknown }>(
      'SELECT action, actor_id, details, ip, user_agent FROM audit_events WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    return rows;
  }

  /** Cancels the agent's active jobs so that each test starts below the active limit. */
  async function clearActive(localPart: string): Promise<void> {
    await pool.query(
      `UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1
        WHERE requested_by_id = $1 AND status IN ('queued', 'running')`,
      [acme.userId(localPart)],
    );
  }

  beforeEach(async () => {
    await clearActive('agent');
    await clearActive('admin');
  });

  describe('POST /export-jobs', () => {
    it('answers 202 with Location and the job resource of the contract, audits and enqueues it', async () => {
      const view = acme.viewIds['Open tickets'];
      const response = await http()
        .post('/export-jobs')
        .set(agent)
        .set('User-Agent', 'e2e-agent')
        .send({ viewId: view, format: 'json', columns: ['id', 'title', 'tags'], timezone: 'Europe/Paris' });
      expect(response.status).toBe(202);
      const job = response.body as JobBody;
      expect(response.headers.location).toBe(`/export-jobs/${job.id}`);
      expect(Object.keys(job).sort()).toEqual(
        [
          'id',
          'source',
          'format',
          'status',
          'stage',
          'progress',
          'view',
          'columns',
          'requestedBy',
          'requestedAt',
          'snapshotAt',
          'startedAt',
          'completedAt',
          'expiresAt',
          'attempts',
          'retryOf',
          'file',
          'error',
          'links',
        ].sort(),
      );
      expect(job).toMatchObject({
        source: 'tickets',
        format: 'json',
        status: 'queued',
        stage: 'queued',
        progress: { percent: 0, rowsExported: 0, totalRows: null },
        view: { id: view, name: 'Open tickets' },
        columns: [
          { key: 'id', label: 'Ticket ID' },
          { key: 'title', label: 'Title' },
          { key: 'tags', label: 'Tags' },
        ],
        requestedBy: { id: acme.userId('agent'), email: acme.email('agent') },
        snapshotAt: null,
        startedAt: null,
        completedAt: null,
        expiresAt: null,
        attempts: 0,
        retryOf: null,
        file: null,
        error: null,
        links: { self: `/export-jobs/${job.id}` },
      });
      expect(new Date(job.requestedAt as string).toISOString()).toBe(job.requestedAt);
      expect(api.queue.enqueued).toContainEqual({ tenantId: acme.id, jobId: job.id });
      const audit = await pool.query(
        'SELECT action, actor_id, user_agent, ip FROM audit_events WHERE job_id = $1',
        [job.id],
      );
      expect(audit.rows).toEqual([
        {
          action: 'export.requested',
          actor_id: acme.userId('agent'),
          user_agent: 'e2e-agent',
          ip: expect.stringMatching(/127\.0\.0\.1/) as unknown,
        },
      ]);
    });

    it('without a body: all tickets, default columns, csv', async () => {
      const response = await http().post('/export-jobs').set(agent);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ format: 'csv', view: null });
    });

    it('still answers 202 when the queue is down: the job stays queued for the reconciler', async () => {
      api.queue.failing = true;
      try {
        const response = await http().post('/export-jobs').set(agent).send({});
        expect(response.status).toBe(202);
        const { rows } = await pool.query('SELECT status FROM export_jobs WHERE id = $1', [
          (response.body as JobBody).id,
        ]);
        expect(rows).toEqual([{ status: 'queued' }]);
      } finally {
        api.queue.failing = false;
      }
    });

    describe('Idempotency-Key', () => {
      it('same key and body: the same job with 200; another body: 409', async () => {
        const key = `key-${Date.now()}`;
        const first = await http()
          .post('/export-jobs')
          .set(agent)
          .set('Idempotency-Key', key)
          .send({ format: 'ndjson', search: 'x' });
        expect(first.status).toBe(202);
        const again = await http()
          .post('/export-jobs')
          .set(agent)
          .set('Idempotency-Key', key)
          .send({ search: 'x', format: 'ndjson' });
        expect(again.status).toBe(200);
        expect((again.body as JobBody).id).toBe((first.body as JobBody).id);
        expect(again.headers.location).toBe(`/export-jobs/${(first.body as JobBody).id}`);
        const other = await http()
          .post('/export-jobs')
          .set(agent)
          .set('Idempotency-Key', key)
          .send({ format: 'csv' });
        expect(other.status).toBe(409);
        expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY.REUSED' });
        const { rows } = await pool.query(
          'SELECT count(*)::int AS n FROM export_jobs WHERE idempotency_key = $1',
          [key],
        );
        expect(rows).toEqual([{ n: 1 }]);
      });

      it('concurrent requests with one key make one job', async () => {
        const key = `race-${Date.now()}`;
        const responses = await Promise.all(
          Array.from({ length: 5 }, () =>
            http().post('/export-jobs').set(agent).set('Idempotency-Key', key).send({}),
          ),
        );
        expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
        expect(new Set(responses.map((r) => (r.body as JobBody).id)).size).toBe(1);
      });

      it('is per user', async () => {
        const key = `shared-${Date.now()}`;
        const mine = await http().post('/export-jobs').set(agent).set('Idempotency-Key', key).send({});
        const theirs = await http().post('/export-jobs').set(admin).set('Idempotency-Key', key).send({});
        expect([mine.status, theirs.status]).toEqual([202, 202]);
        expect((theirs.body as JobBody).id).not.toBe((mine.body as JobBody).id);
      });

      it('binds 24 hours: an older job gives its key up to a new request', async () => {
        const key = `old-${Date.now()}`;
        const old = await insertJob(dataSource, api.storage, {
          tenant: acme,
          requester: 'agent',
          status: 'completed',
          requestedAt: new Date(Date.now() - 25 * HOUR_MS),
        });
        await pool.query('UPDATE export_jobs SET idempotency_key = $1, request_hash = $2 WHERE id = $3', [
          key,
          'h',
          old.id,
        ]);
        const response = await http().post('/export-jobs').set(agent).set('Idempotency-Key', key).send({});
        expect(response.status).toBe(202);
        expect((response.body as JobBody).id).not.toBe(old.id);
      });
    });

    it('refuses past EXPORT_MAX_ACTIVE_PER_USER with 429 and Retry-After, even under concurrent requests', async () => {
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => http().post('/export-jobs').set(agent).send({})),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
      const refused = responses.find((r) => r.status === 429);
      expect(refused?.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused?.body).toMatchObject({ code: 'EXPORT_JOB.TOO_MANY_ACTIVE', status: 429 });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM export_jobs WHERE requested_by_id = $1 AND status IN ('queued', 'running')`,
        [acme.userId('agent')],
      );
      expect(rows).toEqual([{ n: 3 }]);
    });
  });

  describe('GET /export-jobs/:id', () => {
    it('sends Retry-After and an ETag while active; If-None-Match answers 304 until the job changes', async () => {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'running',
      });
      const first = await http().get(`/export-jobs/${job.id}`).set(agent);
      expect(first.status).toBe(200);
      expect(first.headers['retry-after']).toBe('1');
      const etag = first.headers.etag;
      expect(etag).toMatch(/^"[^"]+"$/);
      const same = await http().get(`/export-jobs/${job.id}`).set(agent).set('If-None-Match', etag);
      expect(same.status).toBe(304);
      expect(same.text ?? '').toBe('');
      await pool.query('UPDATE export_jobs SET percent = 77, rows_exported = 77 WHERE id = $1', [job.id]);
      // No writer announced it (status-reads.e2e-spec covers both cases): the poll shows it within 1 s.
      const changed = await eventually(
        () => http().get(`/export-jobs/${job.id}`).set(agent).set('If-None-Match', etag),
        (response) => response.status !== 304,
        1000,
      );
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ progress: { percent: 77, rowsExported: 77 } });
      expect(changed.headers.etag).not.toBe(etag);
    });

    it('no Retry-After once finished; the download link only for a caller who may download', async () => {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
      });
      const mine = await http().get(`/export-jobs/${job.id}`).set(agent);
      expect(mine.headers['retry-after']).toBeUndefined();
      expect((mine.body as JobBody).links).toEqual({ self: `/export-jobs/${job.id}` });
      const asAdmin = await http().get(`/export-jobs/${job.id}`).set(admin);
      expect((asAdmin.body as JobBody).links).toEqual({
        self: `/export-jobs/${job.id}`,
        download: `/export-jobs/${job.id}/download`,
      });
      expect(asAdmin.body).toMatchObject({
        status: 'completed',
        progress: { percent: 100 },
        file: { contentType: 'text/csv; charset=utf-8', rowCount: 1 },
      });
    });
  });

  describe('GET /export-jobs', () => {
    it('pages newest first by keyset cursor and filters by status', async () => {
      const other = await createTestTenant(pool);
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      const statuses = ['failed', 'completed', 'cancelled', 'failed', 'completed'] as const;
      const jobs = [];
      for (const [i, status] of statuses.entries())
        jobs.push(
          await insertJob(dataSource, api.storage, {
            tenant: other,
            requester: 'agent',
            status,
            requestedAt: new Date(t0 + i * 1000),
          }),
        );
      const token = bearer(tokenFor(api.config, other, 'agent'));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await http()
          .get('/export-jobs')
          .query(cursor ? { limit: 2, cursor } : { limit: 2 })
          .set(token);
        expect(page.status).toBe(200);
        const body = page.body as { items: JobBody[]; nextCursor: string | null };
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((j) => j.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(jobs.map((j) => j.id).reverse());
      const failed = await http().get('/export-jobs?status=failed,cancelled').set(token);
      expect((failed.body as { items: JobBody[] }).items.map((j) => j.id)).toEqual([
        jobs[3].id,
        jobs[2].id,
        jobs[0].id,
      ]);
    });
  });

  describe('GET /export-jobs/:id/download', () => {
    it('streams the file with its headers and audits the download', async () => {
      const content = '\uFEFFTicket ID,Title\r\n1,"Café ""déjà"" vu"\r\n';
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
        content,
        query: { fileName: 'Rapport été' },
      });
      const response = await http()
        .get(`/export-jobs/${job.id}/download`)
        .set(admin)
        .buffer(true)
        .parse(bytesBody);
      expect(response.status).toBe(200);
      const bytes = response.body as Buffer;
      expect(bytes.equals(Buffer.from(content, 'utf8'))).toBe(true);
      const name = job.toSnapshot().file?.name ?? '';
      expect(name).toMatch(/^Rapport été-\d{8}-\d{6}\.csv$/);
      expect(response.headers).toMatchObject({
        'content-type': 'text/csv; charset=utf-8',
        'content-length': String(bytes.length),
        'content-disposition': `attachment; filename="${name.replace(/é/g, 'e')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        etag: `"${createHash('sha256').update(bytes).digest('hex')}"`,
        'cache-control': 'private, no-store',
      });
      expect((await auditOf(job.id)).map((a) => a.action)).toContain('export.downloaded');
    });

    it('409 before completion, 410 once expired (also past expiresAt before the cleanup ran); each refusal audited', async () => {
      const running = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'running',
      });
      const notYet = await http().get(`/export-jobs/${running.id}/download`).set(admin);
      expect(notYet.status).toBe(409);
      expect(notYet.body).toMatchObject({ code: 'EXPORT_JOB.NOT_COMPLETED' });

      const expired = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'expired',
      });
      const gone = await http().get(`/export-jobs/${expired.id}/download`).set(admin);
      expect(gone.status).toBe(410);

      const stale = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
        completedAt: new Date(Date.now() - 73 * HOUR_MS),
        requestedAt: new Date(Date.now() - 74 * HOUR_MS),
      });
      const pastExpiry = await http().get(`/export-jobs/${stale.id}/download`).set(admin);
      expect(pastExpiry.status).toBe(410);
      expect(pastExpiry.body).toMatchObject({ code: 'EXPORT_JOB.EXPIRED' });
      const job = await http().get(`/export-jobs/${stale.id}`).set(admin);
      expect((job.body as JobBody).links.download).toBeUndefined();

      const denied = await http().get(`/export-jobs/${running.id}/download`).set(agent);
      expect(denied.status).toBe(403);

      for (const [id, reasons] of [
        [running.id, ['not_completed', 'forbidden']],
        [expired.id, ['expired']],
        [stale.id, ['expired']],
      ] as const) {
        const audit = await auditOf(id);
        expect(
          audit
            .filter((a) => a.action === 'export.download_denied')
            .map((a) => (a.details as { reason: string }).reason),
        ).toEqual(reasons);
      }
    });

    it('410 when storage lost the file', async () => {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
      });
      const { rows } = await pool.query<{ object_key: string }>(
        'SELECT f.object_key FROM stored_files f JOIN export_jobs j ON j.file_id = f.id WHERE j.id = $1',
        [job.id],
      );
      await api.storage.delete(rows[0].object_key);
      const response = await http().get(`/export-jobs/${job.id}/download`).set(admin);
      expect(response.status).toBe(410);
      expect(response.body).toMatchObject({ code: 'EXPORT_JOB.FILE_MISSING' });
    });
  });

  describe('cancel and retry', () => {
    it('cancel: 200 with the cancelled job and an audit row; 409 once finished', async () => {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'running',
      });
      const cancelled = await http().post(`/export-jobs/${job.id}/cancel`).set(agent);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: job.id, status: 'cancelled', stage: null });
      const again = await http().post(`/export-jobs/${job.id}/cancel`).set(agent);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'EXPORT_JOB.INVALID_TRANSITION' });
      for (const status of ['completed', 'failed', 'expired'] as const) {
        const finished = await insertJob(dataSource, api.storage, {
          tenant: acme,
          requester: 'agent',
          status,
        });
        expect((await http().post(`/export-jobs/${finished.id}/cancel`).set(agent)).status).toBe(409);
      }
      expect((await auditOf(job.id)).map((a) => a.action)).toEqual(['export.cancelled']);
    });

    it('retry: 202 with a new queued job pointing back (Location, audit, enqueued); 409 unless failed or cancelled', async () => {
      const failed = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'failed',
        format: 'json',
      });
      const retried = await http().post(`/export-jobs/${failed.id}/retry`).set(agent);
      expect(retried.status).toBe(202);
      const job = retried.body as JobBody;
      expect(job).toMatchObject({ status: 'queued', retryOf: failed.id, format: 'json', attempts: 0 });
      expect(retried.headers.location).toBe(`/export-jobs/${job.id}`);
      expect(api.queue.enqueued).toContainEqual({ tenantId: acme.id, jobId: job.id });
      expect(await auditOf(job.id)).toEqual([
        expect.objectContaining({
          action: 'export.retried',
          actor_id: acme.userId('agent'),
          details: { retryOf: failed.id },
        }),
      ]);
      const cancelled = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'cancelled',
      });
      expect((await http().post(`/export-jobs/${cancelled.id}/retry`).set(agent)).status).toBe(202);
      for (const status of ['queued', 'running', 'completed', 'expired'] as const) {
        const other = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin', status });
        const response = await http().post(`/export-jobs/${other.id}/retry`).set(admin);
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ code: 'EXPORT_JOB.NOT_RETRYABLE' });
      }
    });
  });
});
