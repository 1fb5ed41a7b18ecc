/**
 * Redis database 15. Issue #15, scenario c: S3 stalls mid-upload (a FaultProxy between the worker and s3rver in
 * 'stall': UploadPart accepted, never answered). S3_REQUEST_TIMEOUT_MS ends the attempt, which is retried and
 * completes once S3 answers again; a cancel during the stall frees the worker slot within 5 s; SIGTERM during the
 * stall exits within the grace period.
 */
import type { ExportJob } from '@app/domain';
import { insertBulkTickets } from '../support/bulk-tickets';
import { cancelJob, EngineHarness } from '../support/engine-harness';
import { FaultProxy } from '../support/fault-proxy';
import { sha256 } from '../support/file-readers';
import { readJob, waitUntil } from '../support/job-polling';
import { s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import { startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const ROWS = 120_000;
const REQUEST_TIMEOUT_MS = 3_000;

describe('S3 stalls mid-upload', () => {
  let server: S3TestServer;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await FaultProxy.forUrl(server.endpoint);
    env = {
      REDIS_URL: redisUrlWithDb(15),
      ...s3Env({ ...server.s3, endpoint: proxy.rewrite(server.endpoint) }),
      S3_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
  });

  afterEach(async () => {
    proxy.setMode('pass');
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });

  afterAll(async () => {
    await engine?.close();
    await proxy?.close();
    await server?.close();
  });

  async function worker(): Promise<RunningWorker> {
    const started = await startWorker({ env });
    workers.push(started);
    return started;
  }

  function requestBigExport(): Promise<ExportJob> {
    return engine.requestWideExport(tenant);
  }

  /** Once the upload is journaled (CreateMultipartUpload answered) and rows flow, S3 stops answering. */
  async function stallMidUpload(job: ExportJob): Promise<number> {
    await waitUntil(
      'the attempt is uploading',
      async () =>
        (await engine.uploads(job.id)).length >= 1 &&
        ((await readJob(engine.pool, tenant.id, job.id))?.rowsExported ?? 0) > 5_000,
      60_000,
    );
    proxy.setMode('stall');
    return Date.now();
  }

  it('the request timeout ends the attempt, which is retried and completes once S3 answers again', async () => {
    await worker();
    const job = await requestBigExport();
    const stalledAt = await stallMidUpload(job);
    await waitUntil(
      'the stalled attempt ended',
      async () => (await readJob(engine.pool, tenant.id, job.id))?.status !== 'running',
      60_000,
    );
    const endedAfter = Date.now() - stalledAt;
    proxy.setMode('pass');
    const done = await engine.finished(tenant, job.id, 90_000);
    const completedAfter = Date.now() - stalledAt;

    expect(done).toMatchObject({ status: 'completed', rowsExported: ROWS, errorCode: null });
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    const file = await engine.readFile(tenant, job.id);
    expect(file.record).toMatchObject({ sha256: sha256(file.bytes), sizeBytes: file.bytes.length });
    process.stdout.write(
      `S3 stall (S3_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS}): the attempt ended ${endedAfter} ms after the stall; ` +
        `completed (attempt ${done.attempts}) ${completedAfter} ms after it\n`,
    );
  });

  it('a cancel during the stall frees the worker slot within 5 s', async () => {
    const running = await worker();
    const job = await requestBigExport();
    await stallMidUpload(job);
    const cancelAt = Date.now();
    await cancelJob(engine.repository, tenant, job.id);
    const answeredAfter = Date.now() - cancelAt;
    await waitUntil('the attempt let go', () => running.output().includes('"outcome":"cancelled"'), 10_000);
    const freedAfter = Date.now() - cancelAt;

    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({ status: 'cancelled' });
    expect(answeredAfter).toBeLessThan(1_000);
    expect(freedAfter).toBeLessThan(5_000);
    process.stdout.write(
      `S3 stall + cancel: the cancel answered in ${answeredAfter} ms; the worker freed its slot ${freedAfter} ms after it\n`,
    );
  });

  it('SIGTERM during the stall: the worker exits within its grace period', async () => {
    const stopping = await worker();
    const job = await requestBigExport();
    await stallMidUpload(job);
    const stopAt = Date.now();
    await stopping.stop();
    const exitedAfter = Date.now() - stopAt;

    expect(exitedAfter).toBeLessThan(10_000);
    expect(stopping.output()).toContain('"outcome":"released"');
    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({ status: 'queued' });
    process.stdout.write(`S3 stall + SIGTERM: the worker exited ${exitedAfter} ms after the signal\n`);
  });
});
