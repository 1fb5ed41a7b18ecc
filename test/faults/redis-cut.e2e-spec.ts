/**
 * Redis database 15. Issue #15 (d): Redis cut, through a FaultProxy in front of both the API (in this process) and
 * the built worker, at the moment of POST /export-jobs and in the middle of an export. Every accepted job ends
 * `completed` with its whole file once Redis is back: the API's enqueue fails fast and the worker's reconciler
 * (EXPORT_RECONCILE_INTERVAL_S) enqueues what has no live entry; an attempt cut off from Redis finishes its export,
 * and its redelivery finds the job completed and changes nothing.
 */
import { readConfig } from '@app/infrastructure';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import request from 'supertest';
import { bearer, startApi, type StartedApi, tokenFor } from '../support/api';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { FaultProxy } from '../support/fault-proxy';
import { createTestTenant, type TestTenant } from '../support/factories';
import { sha256 } from '../support/file-readers';
import { isFinished, type JobRow } from '../support/job-polling';
import { redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(180_000);

const ROWS = 150_000;
/** Longer than the worker's lock (15 s): the attempt's lock lapses while Redis is away. */
const MID_EXPORT_CUT_MS = 20_000;
const POST_CUT_MS = 5_000;
/**
 * The worker's PostgreSQL, paced at 4 MB/s for the mid-export case, so the export is still running when Redis goes
 * away. Unpaced, the 150k rows took under a second on a fast minute, and the job was completed before a poll saw it
 * running with rows written (CI, session 8).
 */
const PG_THROTTLE = { throttle: { bytesPerSecond: 4_000_000 } } as const;

describe('Redis cut (API and worker behind a fault proxy)', () => {
  let proxy: FaultProxy;
  let pgProxy: FaultProxy;
  let api: StartedApi;
  let engine: EngineHarness;
  let worker: RunningWorker;
  let tenant: TestTenant;
  let admin: Record<string, string>;

  beforeAll(async () => {
    const redisUrl = redisUrlWithDb(15);
    proxy = await FaultProxy.forUrl(redisUrl);
    const viaProxy = proxy.rewrite(redisUrl);
    const { databaseUrl } = readConfig();
    pgProxy = await FaultProxy.forUrl(databaseUrl);
    api = await startApi({
      env: { REDIS_URL: viaProxy },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    const env = {
      REDIS_URL: viaProxy,
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: api.storageDir,
      EXPORT_RECONCILE_INTERVAL_S: '2',
      EXPORT_BATCH_SIZE: '2000',
    };
    engine = await EngineHarness.open({ ...env, REDIS_URL: redisUrl });
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
    admin = bearer(tokenFor(api.config, tenant, 'admin'));
    // Only the worker reads PostgreSQL through pgProxy; the API and this spec's own reads do not.
    worker = await startWorker({ env: { ...env, DATABASE_URL: pgProxy.rewrite(databaseUrl) } });
  });

  afterEach(() => pgProxy.setMode('pass'));

  afterAll(async () => {
    proxy?.setMode('pass');
    await worker?.stop();
    await engine?.close();
    await api?.close();
    await proxy?.close();
    await pgProxy?.close();
  });

  async function jobCount(): Promise<number> {
    const { rows } = await engine.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM export_jobs WHERE tenant_id = $1',
      [tenant.id],
    );
    return rows[0].n;
  }

  /** The end state a user sees: completed once, the whole file, its sha256, one data line per row. */
  async function expectCompletedWithItsFile(jobId: string, done: JobRow): Promise<void> {
    expect(done).toMatchObject({ status: 'completed', errorCode: null });
    const file = await engine.readFile(tenant, jobId);
    expect(file.record.sha256).toBe(sha256(file.bytes));
    expect(file.record.sizeBytes).toBe(file.bytes.length);
    const lines = file.bytes.toString('utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines.length - 1).toBe(file.record.rowCount);
    expect(file.record.rowCount).toBe(done.rowsExported);
    expect(file.record.rowCount).toBeGreaterThanOrEqual(ROWS);
    const download = await request(api.baseUrl).get(`/export-jobs/${jobId}/download`).set(admin).buffer(true);
    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(download.text, 'utf8'))).toBe(file.record.sha256);
    expect((await engine.auditActions(jobId)).filter((a) => a === 'export.completed')).toHaveLength(1);
  }

  it('at POST: 202 within 3 s, or 503 with nothing saved; the job completes once Redis is back', async () => {
    const before = await jobCount();
    proxy.setMode('cut');
    const postedAt = Date.now();
    const response = await request(api.baseUrl).post('/export-jobs').set(admin).send({ format: 'csv' });
    const answeredMs = Date.now() - postedAt;
    process.stdout.write(`redis-cut at POST: ${response.status} in ${answeredMs} ms\n`);

    if (response.status === 503) {
      expect(await jobCount()).toBe(before);
      proxy.setMode('pass');
      return;
    }
    expect(response.status).toBe(202);
    expect(answeredMs).toBeLessThan(3000);
    const jobId = (response.body as { id: string }).id;
    await new Promise((resolve) => setTimeout(resolve, POST_CUT_MS));
    expect((await engine.waitForJob(tenant, jobId, () => true, 1000)).status).toBe('queued');

    proxy.setMode('pass');
    const backAt = Date.now();
    const running = await engine.waitForJob(tenant, jobId, (job) => job.status !== 'queued', 60_000);
    const startedMs = Date.now() - backAt;
    const done = await engine.finished(tenant, jobId, 120_000);
    const completedMs = Date.now() - backAt;
    process.stdout.write(
      `redis-cut at POST: running ${startedMs} ms and ${done.status} ${completedMs} ms after Redis returned ` +
        `(EXPORT_RECONCILE_INTERVAL_S=2), attempt ${done.attempts}\n`,
    );
    expect(running.status).not.toBe('failed');
    await expectCompletedWithItsFile(jobId, done);
  });

  it('mid-export: the export finishes or is handed back, and ends completed with its whole file', async () => {
    pgProxy.setMode(PG_THROTTLE);
    const response = await request(api.baseUrl).post('/export-jobs').set(admin).send({ format: 'csv' });
    expect(response.status).toBe(202);
    const jobId = (response.body as { id: string }).id;
    await engine.waitForJob(tenant, jobId, (job) => job.status === 'running' && job.rowsExported > 0, 60_000);

    proxy.setMode('cut');
    const cutAt = Date.now();
    const during = await engine.waitForJob(
      tenant,
      jobId,
      (job) => isFinished(job) || Date.now() - cutAt >= MID_EXPORT_CUT_MS,
      MID_EXPORT_CUT_MS + 10_000,
    );
    const statusDuringCut = during.status;
    const atCutEnd = Date.now() - cutAt;
    if (atCutEnd < MID_EXPORT_CUT_MS)
      await new Promise((resolve) => setTimeout(resolve, MID_EXPORT_CUT_MS - atCutEnd));
    proxy.setMode('pass');
    pgProxy.setMode('pass');
    const backAt = Date.now();
    const done = await engine.finished(tenant, jobId, 120_000);
    const endedMs = Date.now() - backAt;
    process.stdout.write(
      `redis-cut mid-export (${MID_EXPORT_CUT_MS} ms): ${statusDuringCut} when the cut was seen to end, ` +
        `${done.status} ${Math.max(0, endedMs)} ms after Redis returned (${Date.now() - cutAt} ms after the cut), ` +
        `attempts ${done.attempts}\n`,
    );
    await expectCompletedWithItsFile(jobId, done);
    // The worker survived the cut and still takes work.
    const next = await request(api.baseUrl).post('/export-jobs').set(admin).send({ format: 'csv' });
    expect(next.status).toBe(202);
    const nextDone = await engine.finished(tenant, (next.body as { id: string }).id, 120_000);
    expect(nextDone.status).toBe('completed');
    // It said so in its own JSON lines, not through BullMQ's console.error fallback.
    const lines = worker
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const unstructured = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(unstructured).toEqual([]);
    expect(lines.some((line) => line.includes('Redis error on the exports worker'))).toBe(true);
  });
});
