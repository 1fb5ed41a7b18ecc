import {
  CachedExportJobReadModel,
  GLOBEX,
  RedisJobChangePublisher,
  TypeormExportJobRepository,
} from '@app/infrastructure';
import type { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  bearer,
  cancelActiveJobs,
  eventually,
  insertJob,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { redisUrlWithDb } from '../support/worker';

/** No queue of its own (a recording queue); the job change channel is shared by every Redis database anyway. */
const REDIS_DB = 14;
/** CachedExportJobReadModel's bound: a job read is served from memory at most this long without an announcement. */
const MAX_AGE_MS = 1000;

interface Job {
  progress: { percent: number; rowsExported: number };
  links: { self: string; download?: string };
}

/**
 * GET /export-jobs/:id serves a job's state from memory between announced changes (issue 13, item 4): these specs
 * hold it to the contract over HTTP. An announced change shows on the next poll, an unannounced one within 1 s,
 * and who may see the job is decided afresh on every request, cached job or not (CONTRACT §3).
 */
describe('status reads over HTTP', () => {
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let publisher: RedisJobChangePublisher;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    globex = await createTestTenant(pool, GLOBEX);
    const redisUrl = redisUrlWithDb(REDIS_DB);
    api = await startApi({ env: { REDIS_URL: redisUrl } });
    dataSource = api.app.get(DataSource);
    publisher = new RedisJobChangePublisher(redisUrl, { warn: () => undefined });
  });

  afterAll(async () => {
    await cancelActiveJobs(pool, [acme.id, globex.id]);
    publisher?.close();
    await api?.close();
    await pool.end();
  });

  const as = (tenant: TestTenant, localPart: string) => bearer(tokenFor(api.config, tenant, localPart));
  const poll = (id: string, headers: Record<string, string>) =>
    request(api.baseUrl).get(`/export-jobs/${id}`).set(headers);

  it('shows a change a writer announced before the held read would have expired', async () => {
    const agent = as(acme, 'agent');
    const announced = new TypeormExportJobRepository(dataSource, publisher);
    // Proven when one round ends within MAX_AGE_MS of its first read: only the announcement can explain it then.
    let proven = false;
    for (let round = 1; round <= 5 && !proven; round += 1) {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'running',
      });
      const startedAt = Date.now();
      expect((await poll(job.id, agent)).body).toMatchObject({ progress: { rowsExported: 40 } });
      const loaded = await announced.findById(acme.id, job.id);
      loaded?.reportProgress(60, 100);
      if (loaded) await announced.saveProgress(loaded);
      const seen = await eventually(
        () => poll(job.id, agent),
        (response) => (response.body as Job).progress.rowsExported === 60,
        2 * MAX_AGE_MS,
      );
      expect(seen.status).toBe(200);
      proven = Date.now() - startedAt < MAX_AGE_MS;
    }
    expect(proven).toBe(true);
  });

  it("reads its own write: this API's own announcements drop the held job at once, before Redis echoes them", async () => {
    const cache = api.app.get(CachedExportJobReadModel);
    const own = api.app.get(RedisJobChangePublisher);
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'running',
    });
    await poll(job.id, as(acme, 'agent'));
    expect(cache.size).toBeGreaterThan(0);
    const held = cache.size;
    own.publish({ tenantId: acme.id, jobId: job.id }); // what the repository does after a commit (e.g. a cancel)
    expect(cache.size).toBe(held - 1); // synchronously: the next poll cannot be answered from memory
    await request(api.baseUrl).post(`/export-jobs/${job.id}/cancel`).set(as(acme, 'agent')).expect(200);
    expect((await poll(job.id, as(acme, 'agent'))).body).toMatchObject({ status: 'cancelled' });
  });

  it('shows a change nobody announced within 1 s, and the ETag of an unchanged job stays the same', async () => {
    const agent = as(acme, 'agent');
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'running',
    });
    const first = await poll(job.id, agent);
    await new Promise((resolve) => setTimeout(resolve, MAX_AGE_MS + 100));
    expect((await poll(job.id, agent).set('If-None-Match', first.headers.etag)).status).toBe(304);
    await poll(job.id, agent);
    await pool.query('UPDATE export_jobs SET percent = 55, rows_exported = 55 WHERE id = $1', [job.id]);
    const changed = await eventually(
      () => poll(job.id, agent).set('If-None-Match', first.headers.etag),
      (response) => response.status !== 304,
      MAX_AGE_MS,
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ progress: { percent: 55, rowsExported: 55 } });
  });

  it('decides on every request who may see a job it holds: a revoked flag and a disabled user count at once', async () => {
    const admin = as(acme, 'admin');
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'completed',
    });
    const held = await poll(job.id, admin);
    expect(held.status).toBe(200);
    expect((held.body as Job).links.download).toBe(`/export-jobs/${job.id}/download`);
    expect((await poll(job.id, as(globex, 'admin'))).status).toBe(404);
    expect((await poll(job.id, as(acme, 'viewer'))).status).toBe(404);
    expect((await poll(job.id, as(acme, 'agent'))).body).toMatchObject({
      links: { self: `/export-jobs/${job.id}` },
    });
    expect((await poll(job.id, as(acme, 'agent'))).body).not.toHaveProperty('links.download');

    await pool.query('UPDATE roles SET permissions = permissions & ~512 WHERE id = $1', [
      acme.roleIds.Administrator,
    ]);
    try {
      expect((await poll(job.id, admin)).status).toBe(404);
    } finally {
      await pool.query('UPDATE roles SET permissions = permissions | 512 WHERE id = $1', [
        acme.roleIds.Administrator,
      ]);
    }
    expect((await poll(job.id, admin)).status).toBe(200);

    await pool.query('UPDATE users SET disabled_at = now() WHERE id = $1', [acme.userId('admin')]);
    try {
      expect((await poll(job.id, admin)).status).toBe(401);
    } finally {
      await pool.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [acme.userId('admin')]);
    }
    expect((await poll(job.id, admin)).status).toBe(200);
  });
});
