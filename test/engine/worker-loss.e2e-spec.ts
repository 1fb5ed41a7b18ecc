/**
 * Redis database 8 (one per engine spec file, so workers of different files never take each other's jobs).
 *
 * CONTRACT §6 Delivery: a worker process killed (SIGKILL) or stopped (SIGTERM) in the middle of an export. The
 * exports are big enough (210k rows, about 50 MB: ten 5 MiB parts) to be mid multipart upload when the worker
 * goes; S3 is s3rver behind the recording proxy, which sees every multipart upload begin and end.
 */
import type { ExportJob } from '@app/domain';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { sha256 } from '../support/file-readers';
import { type JobRow, readJob, waitUntil } from '../support/job-polling';
import { objectKeys, s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import { type RecordingProxy, startRecordingProxy, startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(120_000);

const ROWS = 210_000;

describe('a worker lost in the middle of an export', () => {
  let server: S3TestServer;
  let proxy: RecordingProxy;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startRecordingProxy(server.endpoint);
    env = { REDIS_URL: redisUrlWithDb(8), ...s3Env({ ...server.s3, endpoint: proxy.endpoint }) };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await engine?.close();
    await proxy?.close();
    await server?.close();
  });

  async function worker(): Promise<RunningWorker> {
    const started = await startWorker({ env });
    workers.push(started);
    return started;
  }

  const prefixOf = (job: ExportJob): string => `exports/${tenant.id}/${job.id}/`;

  function requestBigExport(): Promise<ExportJob> {
    return engine.requestWideExport(tenant);
  }

  /** Resolves once the first part of the job's multipart upload is on its way to S3. */
  async function midUpload(job: ExportJob): Promise<void> {
    const prefix = prefixOf(job);
    await waitUntil(
      'the first part of the upload is sent',
      () => proxy.requests.some((r) => r.operation === 'UploadPart' && r.key?.startsWith(prefix)),
      60_000,
    );
  }

  /** The job's multipart uploads neither completed nor aborted (other tenants' uploads are no concern here). */
  function unfinishedOf(job: ExportJob): string[] {
    const created = proxy.events.filter((e) => e.type === 'create' && e.key.startsWith(prefixOf(job)));
    const ids = new Set(created.map((e) => e.uploadId));
    return proxy.unfinishedUploads().filter((id) => ids.has(id));
  }

  /** The multipart lifecycle of the job's uploads, per upload id in creation order. */
  function multipartHistory(job: ExportJob): string[][] {
    const prefix = prefixOf(job);
    const events = proxy.events.filter((e) => e.key.startsWith(prefix));
    return events
      .filter((e) => e.type === 'create')
      .map((c) => events.filter((e) => e.uploadId === c.uploadId).map((e) => e.type));
  }

  /** The completed job left exactly one object, the whole export, under its key. */
  async function expectOneWholeFile(job: ExportJob): Promise<void> {
    const key = await engine.objectKeyOf(tenant, job.id);
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([key]);
    const file = await engine.readFile(tenant, job.id);
    expect(file.record).toMatchObject({
      sha256: sha256(file.bytes),
      sizeBytes: file.bytes.length,
      rowCount: ROWS,
    });
    const lines = file.bytes.toString('utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    const ids = lines.slice(1).map((line) => Number(line.slice(0, line.indexOf(','))));
    expect(ids).toHaveLength(ROWS);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true); // ascending: no row twice
  }

  it('SIGKILL: another worker takes the job over, aborts the dead upload and writes the file once', async () => {
    const first = await worker();
    const job = await requestBigExport();
    await midUpload(job);
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: null }]);

    await first.kill();
    const killedAt = Date.now();
    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({ status: 'running', attempts: 1 });
    await worker();
    // BullMQ gives the job to the live worker once the dead one's lock lapsed: lockDuration 15 s + stalledInterval 5 s.
    const done: JobRow = await engine.finished(tenant, job.id, 60_000);
    const tookOverAfter = Date.now() - killedAt;

    expect(done).toMatchObject({ status: 'completed', attempts: 2, rowsExported: ROWS, errorCode: null });
    expect(tookOverAfter).toBeLessThan(45_000);
    expect(multipartHistory(job)).toEqual([
      ['create', 'abort'],
      ['create', 'complete'],
    ]);
    expect(unfinishedOf(job)).toEqual([]);
    expect(await engine.uploads(job.id)).toMatchObject([
      { attempt: 1, outcome: 'aborted' },
      { attempt: 2, outcome: 'completed' },
    ]);
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
    await expectOneWholeFile(job);
  });

  it('SIGTERM: the worker aborts its upload and releases the job, and another worker completes it', async () => {
    const stopping = workers.at(-1);
    if (!stopping) throw new Error('the previous test left no worker running');
    const job = await requestBigExport();
    await midUpload(job);

    const stoppingAt = Date.now();
    await stopping.stop();
    // A graceful stop: the attempt stops between chunks and releases the job (stop() would SIGKILL after 30 s).
    expect(Date.now() - stoppingAt).toBeLessThan(10_000);
    const released = await readJob(engine.pool, tenant.id, job.id);
    expect(stopping.output()).toMatch(new RegExp(`"jobId":"${job.id}".*"outcome":"released"`));
    // Back to queued, the attempt handed back unspent: a shutdown never brings a job closer to EXPORT_MAX_ATTEMPTS.
    expect(released).toMatchObject({ status: 'queued', stage: 'queued', attempts: 0, errorCode: null });
    expect(multipartHistory(job)).toEqual([['create', 'abort']]);
    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([]);

    await worker();
    const done = await engine.finished(tenant, job.id, 60_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, errorCode: null });
    expect(multipartHistory(job)).toEqual([
      ['create', 'abort'],
      ['create', 'complete'],
    ]);
    expect(unfinishedOf(job)).toEqual([]);
    // The release spent none of the queue's attempts: one started run ended (completed), one was handed back.
    await waitUntil(
      'the queue entry is completed',
      async () => (await engine.queue.getJob(job.id))?.finishedOn !== undefined,
      10_000,
    );
    const entry = await engine.queue.getJob(job.id);
    expect({ attemptsMade: entry?.attemptsMade, state: await entry?.getState() }).toEqual({
      attemptsMade: 1,
      state: 'completed',
    });
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
    await expectOneWholeFile(job);
  });
});
