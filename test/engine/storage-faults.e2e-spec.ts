/**
 * Redis database 9 (one per engine spec file, so workers of different files never take each other's jobs).
 *
 * Cancel, S3 faults and a second delivery, against a real worker process writing to s3rver through the recording
 * proxy (which injects the faults and sees every multipart upload begin and end). EXPORT_MAX_ATTEMPTS is 2.
 */
import { type ExportJob } from '@app/domain';
import { insertBulkTickets } from '../support/bulk-tickets';
import { cancelJob, EngineHarness } from '../support/engine-harness';
import { sha256 } from '../support/file-readers';
import { delay, readJob, waitUntil } from '../support/job-polling';
import { objectKeys, s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import {
  type ProxiedRequest,
  type RecordingProxy,
  startRecordingProxy,
  startS3Server,
  type S3TestServer,
} from '../support/s3';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(90_000);

const BIG_ROWS = 200_000;
const SMALL_ROWS = 500;
const WRITES = new Set([
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'DeleteObject',
]);

describe('cancel, S3 faults and redelivery (worker process, S3 through the recording proxy)', () => {
  let server: S3TestServer;
  let proxy: RecordingProxy;
  let engine: EngineHarness;
  let worker: RunningWorker;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startRecordingProxy(server.endpoint);
    const env = {
      REDIS_URL: redisUrlWithDb(9),
      EXPORT_MAX_ATTEMPTS: '2',
      EXPORT_WORKER_CONCURRENCY: '1',
      ...s3Env({ ...server.s3, endpoint: proxy.endpoint }),
    };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    const createdBefore = new Date(Date.now() - 3_600_000);
    await insertBulkTickets(engine.pool, tenant, { count: BIG_ROWS, createdBefore, descriptionLength: 150 });
    await insertBulkTickets(engine.pool, tenant, {
      count: SMALL_ROWS,
      createdBefore,
      category: 'Small',
      titlePrefix: 'Small',
    });
    worker = await startWorker({ env });
  });

  afterEach(() => {
    proxy.clearFaults();
  });

  afterAll(async () => {
    await worker?.kill();
    await engine?.close();
    await proxy?.close();
    await server?.close();
  });

  const prefixOf = (job: ExportJob): string => `exports/${tenant.id}/${job.id}/`;
  const ofTenant = (operation: string) => (r: ProxiedRequest) =>
    r.operation === operation && (r.key?.startsWith(`exports/${tenant.id}/`) ?? false);
  const requestsOf = (job: ExportJob) => proxy.requests.filter((r) => r.key?.startsWith(prefixOf(job)));

  /** About 45 MB of CSV: a multipart upload of three parts. */
  const bigExport = (): Promise<ExportJob> =>
    engine.requestExport({
      tenant,
      refinement: { columns: ['id', 'title', 'description', 'status', 'creationTime'] },
    });
  /** A few KB: a single PutObject. */
  const smallExport = (): Promise<ExportJob> =>
    engine.requestExport({
      tenant,
      format: 'json',
      refinement: { filters: { and: [{ field: 'category', operator: 'is', value: 'Small' }], or: [] } },
    });

  /** The job's multipart uploads neither completed nor aborted (other tenants' uploads are no concern here). */
  function unfinishedOf(job: ExportJob): string[] {
    const created = proxy.events.filter((e) => e.type === 'create' && e.key.startsWith(prefixOf(job)));
    const ids = new Set(created.map((e) => e.uploadId));
    return proxy.unfinishedUploads().filter((id) => ids.has(id));
  }

  /** The multipart lifecycle of the job's uploads, per upload id in creation order. */
  function multipartHistory(job: ExportJob): string[][] {
    const events = proxy.events.filter((e) => e.key.startsWith(prefixOf(job)));
    return events
      .filter((e) => e.type === 'create')
      .map((c) => events.filter((e) => e.uploadId === c.uploadId).map((e) => e.type));
  }

  async function expectCompletedWithItsFile(job: ExportJob, attempts: number): Promise<void> {
    const done = await engine.finished(tenant, job.id, 60_000);
    expect(done).toMatchObject({ status: 'completed', attempts, errorCode: null });
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([await engine.objectKeyOf(tenant, job.id)]);
    const file = await engine.readFile(tenant, job.id);
    expect(file.record).toMatchObject({ sha256: sha256(file.bytes), sizeBytes: file.bytes.length });
    expect(unfinishedOf(job)).toEqual([]);
  }

  it('cancel mid-upload: the job stays cancelled, the multipart upload is aborted, nothing is stored, the worker goes on', async () => {
    const job = await bigExport();
    await waitUntil(
      'the multipart upload began',
      () => proxy.events.some((e) => e.type === 'create' && e.key.startsWith(prefixOf(job))),
      60_000,
    );
    await cancelJob(engine.repository, tenant, job.id);
    const cancelledAt = Date.now();

    await waitUntil('the upload is aborted', () => multipartHistory(job)[0]?.length === 2, 10_000);
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(multipartHistory(job)).toEqual([['create', 'abort']]);
    await waitUntil('the worker ended the attempt', () => worker.output().includes(job.id), 10_000);
    expect(worker.output()).toMatch(new RegExp(`"jobId":"${job.id}".*"outcome":"cancelled"`));
    const row = await readJob(engine.pool, tenant.id, job.id);
    expect(row).toMatchObject({ status: 'cancelled', stage: null, fileId: null, attempts: 1 });
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.cancelled']);
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: 'aborted' }]);
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([]);
    expect(unfinishedOf(job)).toEqual([]);

    // The worker is healthy: the next job runs to completion.
    await expectCompletedWithItsFile(await smallExport(), 1);
  });

  it('S3 failing for a while: the attempt is retried with backoff, then completes', async () => {
    proxy.failWhile(ofTenant('PutObject'), 503);
    const job = await smallExport();
    // The SDK's own retries of the 503s run out: the attempt fails and the job goes back to the queue.
    const released = await engine.waitForJob(
      tenant,
      job.id,
      (j) => j.status === 'queued' && j.attempts === 1,
      30_000,
    );
    expect(released).toMatchObject({ stage: 'queued', errorCode: null });
    proxy.clearFaults();
    const failedPuts = requestsOf(job).filter((r) => r.operation === 'PutObject' && r.status === 503);
    expect(failedPuts.length).toBeGreaterThanOrEqual(2);

    await expectCompletedWithItsFile(job, 2);
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
  });

  it('S3 failing for good: failed after EXPORT_MAX_ATTEMPTS with a safe message, audited, nothing left behind', async () => {
    proxy.failWhile(ofTenant('UploadPart'), 503);
    const job = await bigExport();
    const failed = await engine.finished(tenant, job.id, 60_000);

    expect(failed).toMatchObject({ status: 'failed', attempts: 2, stage: null, fileId: null });
    expect(failed.errorCode).toBe('EXPORT_JOB.FAILED');
    const message = failed.errorMessage ?? '';
    expect(message).toMatch(/^The export failed after 2 attempts\./);
    expect(message).not.toMatch(
      /\bat \S+ \(|\n|SELECT|INSERT|UPDATE|FROM|127\.0\.0\.1|localhost|:\d{2,5}\b|SlowDown|Error/,
    );
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.failed']);
    expect(multipartHistory(job)).toEqual([
      ['create', 'abort'],
      ['create', 'abort'],
    ]);
    expect(await engine.uploads(job.id)).toMatchObject([
      { attempt: 1, outcome: 'aborted' },
      { attempt: 2, outcome: 'aborted' },
    ]);
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([]);
    expect(unfinishedOf(job)).toEqual([]);
  });

  it('a second delivery of a completed job changes nothing', async () => {
    const job = await smallExport();
    await expectCompletedWithItsFile(job, 1);
    const before = await readJob(engine.pool, tenant.id, job.id);
    const audit = await engine.auditActions(job.id);
    const writes = requestsOf(job).filter((r) => WRITES.has(r.operation)).length;

    const entry = await engine.queue.getJob(job.id);
    await entry?.remove();
    await engine.enqueue(tenant.id, job.id);
    await waitUntil(
      'the second delivery was processed',
      async () => (await engine.queue.getJob(job.id))?.finishedOn !== undefined,
      15_000,
    );
    const redelivered = await engine.queue.getJob(job.id);
    expect(redelivered?.returnvalue).toBe('skipped');
    await delay(600); // more than one progress tick: a stray write would show up now

    expect(await readJob(engine.pool, tenant.id, job.id)).toEqual(before);
    expect(await engine.auditActions(job.id)).toEqual(audit);
    expect(requestsOf(job).filter((r) => WRITES.has(r.operation))).toHaveLength(writes);
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([await engine.objectKeyOf(tenant, job.id)]);
  });
});
