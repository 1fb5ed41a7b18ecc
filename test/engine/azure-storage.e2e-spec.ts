/**
 * Redis database 4 (its own: the worker of this file never takes another file's jobs).
 *
 * Issue #11: STORAGE_DRIVER=azure end to end, against Azurite (in memory) behind the recording/fault proxy: a worker
 * process exports, the API serves the download, a cancel and a SIGKILL leave no blob, Azure faults are retried or
 * fail the job at once, and the retention cleanup deletes expired blobs and the blob of a lost attempt.
 */
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { AzureBlobFileStorage } from '@app/infrastructure/sdk-adapters';
import { exportAttemptPrefix, exportObjectKey, type ExportJob } from '@app/domain';
import { bearer, bytesBody, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import {
  azureEnv,
  azuriteConfig,
  blobNames,
  startAzurite,
  startBlobProxy,
  type AzuriteServer,
  type BlobProxy,
  type BlobRequest,
} from '../support/azurite';
import { insertBulkTickets } from '../support/bulk-tickets';
import { runCleanupCli } from '../support/cleanup';
import { cancelJob, EngineHarness } from '../support/engine-harness';
import { createTestTenant, type TestTenant } from '../support/factories';
import { readJob, waitUntil } from '../support/job-polling';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(90_000);

const BIG_ROWS = 40_000; // about 10 MB of wide CSV: five 2 MiB blocks
const SMALL_ROWS = 300; // a few KB: one Put Blob
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('STORAGE_DRIVER=azure (worker and API against Azurite behind the recording proxy)', () => {
  let azurite: AzuriteServer;
  let proxy: BlobProxy;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let api: StartedApi;
  let tenant: TestTenant;
  let other: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await startBlobProxy(azurite.endpoint);
    env = {
      REDIS_URL: redisUrlWithDb(4),
      EXPORT_MAX_ATTEMPTS: '2',
      EXPORT_WORKER_CONCURRENCY: '1',
      ...azureEnv(azuriteConfig(proxy.endpoint, azurite.container)),
    };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    other = await createTestTenant(engine.pool);
    const createdBefore = new Date(Date.now() - 3_600_000);
    await insertBulkTickets(engine.pool, tenant, { count: BIG_ROWS, createdBefore, descriptionLength: 150 });
    await insertBulkTickets(engine.pool, tenant, {
      count: SMALL_ROWS,
      createdBefore,
      category: 'Small',
      titlePrefix: 'Small',
    });
    api = await startApi({ storage: engine.storage, env });
    workers.push(await startWorker({ env }));
  });

  afterEach(() => proxy.clearFaults());

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await api?.close();
    await engine?.close();
    await proxy?.close();
    await azurite?.close();
  });

  const prefixOf = (job: ExportJob): string => `exports/${tenant.id}/${job.id}/`;
  const blobsOf = (job: ExportJob): Promise<string[]> => blobNames(azurite.azure, prefixOf(job));
  const ofJob =
    (job: ExportJob, operation: BlobRequest['operation']) =>
    (r: BlobRequest): boolean =>
      r.operation === operation && (r.key?.startsWith(prefixOf(job)) ?? false);
  const ofTenant =
    (operation: BlobRequest['operation']) =>
    (r: BlobRequest): boolean =>
      r.operation === operation && (r.key?.startsWith(`exports/${tenant.id}/`) ?? false);
  const bigExport = (): Promise<ExportJob> => engine.requestWideExport(tenant);
  const smallExport = (): Promise<ExportJob> =>
    engine.requestExport({
      tenant,
      format: 'json',
      refinement: { filters: { and: [{ field: 'category', operator: 'is', value: 'Small' }], or: [] } },
    });
  /** Resolves once a block of the job's upload is on its way to Azure. */
  const midUpload = (job: ExportJob): Promise<void> =>
    waitUntil('a block of the upload is sent', () => proxy.requests.some(ofJob(job, 'StageBlock')), 60_000);

  async function expectCompletedWithItsBlob(job: ExportJob, attempts: number): Promise<void> {
    const done = await engine.finished(tenant, job.id, 60_000);
    expect(done).toMatchObject({ status: 'completed', attempts, errorCode: null });
    expect(await blobsOf(job)).toEqual([await engine.objectKeyOf(tenant, job.id)]);
    const file = await engine.readFile(tenant, job.id);
    expect(file.record).toMatchObject({ sha256: sha256(file.bytes), sizeBytes: file.bytes.length });
  }

  it('exports in blocks and commits them; the API serves the download (owner only) and /health/ready checks the container', async () => {
    const job = await bigExport();
    await expectCompletedWithItsBlob(job, 1);
    const key = await engine.objectKeyOf(tenant, job.id);
    const ops = proxy.requests.filter((r) => r.key === key).map((r) => `${r.operation} ${r.status}`);
    expect(ops.filter((op) => op === 'StageBlock 201').length).toBeGreaterThanOrEqual(2);
    expect(ops.filter((op) => op.startsWith('CommitBlockList'))).toEqual(['CommitBlockList 201']);
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: 'completed' }]);

    const { record } = await engine.readFile(tenant, job.id);
    const token = tokenFor(api.config, tenant, 'admin');
    const response = await request(api.baseUrl)
      .get(`/export-jobs/${job.id}/download`)
      .set(bearer(token))
      .buffer(true)
      .parse(bytesBody);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(record.sizeBytes));
    expect(response.headers['content-disposition']).toContain('attachment;');
    expect(response.headers['accept-ranges']).not.toBe('bytes');
    expect(sha256(response.body as Buffer)).toBe(record.sha256);
    // One plain GET of the blob, without a Range.
    expect(proxy.requests.filter((r) => r.key === key && r.operation === 'GetBlob').at(-1)).toMatchObject({
      range: null,
      status: 200,
    });
    const outsider = tokenFor(api.config, other, 'admin');
    const refused = await request(api.baseUrl).get(`/export-jobs/${job.id}/download`).set(bearer(outsider));
    expect(refused.status).toBe(404);

    const ready = await request(api.baseUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ checks: { storage: 'ok' } });
    expect(proxy.requests.some((r) => r.operation === 'Container' && r.status === 200)).toBe(true);
  });

  it('cancel mid-upload: the job stays cancelled, nothing is committed, the worker goes on', async () => {
    proxy.slowDown(ofTenant('StageBlock'), 1_000);
    const job = await bigExport();
    await midUpload(job);
    await cancelJob(engine.repository, tenant, job.id);

    await waitUntil(
      'the upload is discarded',
      async () => (await engine.uploads(job.id))[0]?.outcome === 'aborted',
      15_000,
    );
    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({
      status: 'cancelled',
      fileId: null,
      attempts: 1,
    });
    expect(proxy.requests.filter(ofJob(job, 'CommitBlockList'))).toEqual([]);
    expect(await blobsOf(job)).toEqual([]);
    proxy.clearFaults();
    await expectCompletedWithItsBlob(await smallExport(), 1);
  });

  it('SIGKILL mid-upload: another worker takes the job over; the lost attempt leaves no blob', async () => {
    const first = workers[0];
    proxy.slowDown(ofTenant('StageBlock'), 1_000);
    const job = await bigExport();
    await midUpload(job);
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: null }]);

    await first.kill();
    proxy.clearFaults();
    workers.push(await startWorker({ env }));
    // BullMQ hands the job to the live worker once the dead one's lock lapsed (15 s lock + 5 s stalled check).
    await expectCompletedWithItsBlob(job, 2);
    expect(await engine.uploads(job.id)).toMatchObject([
      { attempt: 1, outcome: 'aborted' },
      { attempt: 2, outcome: 'completed' },
    ]);
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
  });

  it('Azure busy for a while (503 ServerBusy after the SDK retries): the attempt is retried with backoff, then completes', async () => {
    proxy.failWhile(ofTenant('PutBlob'), 503, 'ServerBusy');
    const job = await smallExport();
    const released = await engine.waitForJob(
      tenant,
      job.id,
      (j) => j.status === 'queued' && j.attempts === 1,
      30_000,
    );
    proxy.clearFaults(); // at once: the queue's backoff (2 s) has not run out yet
    expect(released.errorCode).toBeNull();
    const tries = proxy.requests.filter(ofJob(job, 'PutBlob'));
    expect(tries.length).toBe(4); // the SDK's 4 tries, with its backoff
    expect(tries.every((r) => r.status === 503)).toBe(true);
    await expectCompletedWithItsBlob(job, 2);
  });

  it('a permanent refusal (403 AuthorizationFailure) fails the job at once with the safe message, no blob', async () => {
    proxy.failWhile(ofTenant('PutBlob'), 403, 'AuthorizationFailure');
    const job = await smallExport();
    const failed = await engine.finished(tenant, job.id, 30_000);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      errorCode: 'EXPORT_JOB.FAILED',
      errorMessage: 'The export failed and cannot succeed as requested. Please contact support.',
    });
    expect(proxy.requests.filter(ofJob(job, 'PutBlob'))).toHaveLength(1); // not retried
    expect(await blobsOf(job)).toEqual([]);
  });

  it('the cleanup deletes expired blobs, and the blob a lost attempt committed', async () => {
    const storage = new AzureBlobFileStorage(azurite.azure);
    const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3_600_000);
    const expired = await insertJob(engine.dataSource, storage, {
      tenant,
      requester: 'admin',
      status: 'completed',
      requestedAt: hoursAgo(74),
      completedAt: hoursAgo(73),
    });
    expect(await blobsOf(expired)).toEqual([exportObjectKey(expired.toSnapshot())]);
    // An attempt that committed its blob, then died before the job pointed to it; a day later its entry is open.
    const lost = await insertJob(engine.dataSource, storage, {
      tenant,
      requester: 'admin',
      status: 'failed',
    });
    const lostKey = `${exportAttemptPrefix(lost.toSnapshot())}tickets.csv`;
    let uploadId: string = randomUUID();
    const upload = await storage.beginUpload(lostKey, {
      contentType: 'text/csv',
      fileName: 'tickets.csv',
      onStarted: (id) => Promise.resolve(void (uploadId = id)),
    });
    upload.body.end('id\r\n1\r\n');
    await upload.done();
    await engine.pool.query(
      `INSERT INTO export_uploads (upload_id, tenant_id, job_id, attempt, provider, object_key, started_at)
       VALUES ($1, $2, $3, 1, 'azure', $4, now() - interval '25 hours')`,
      [uploadId, tenant.id, lost.id, lostKey],
    );

    const run = await runCleanupCli(env);

    expect(run.code).toBe(0);
    expect(await readJob(engine.pool, tenant.id, expired.id)).toMatchObject({ status: 'expired' });
    expect(await blobsOf(expired)).toEqual([]);
    expect(await blobsOf(lost)).toEqual([]);
    const { rows } = await engine.pool.query<{ outcome: string }>(
      'SELECT outcome FROM export_uploads WHERE upload_id = $1',
      [uploadId],
    );
    expect(rows).toEqual([{ outcome: 'aborted' }]);
  });
});
