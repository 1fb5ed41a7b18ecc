/**
 * Redis database 14 (shared by the fault specs, which flush it when they open; jest runs spec files one at a time
 * on this machine's two cores).
 *
 * CONTRACT §6 under a PostgreSQL outage the worker did not see coming: the worker reaches PostgreSQL through a
 * fault proxy (the test's own connections do not), the proxy throttles the traffic so that the export is still
 * running when the fault hits, then cuts or stalls it. Every accepted job must end: completed with its file
 * intact, or failed with the safe message; never left `running`, never taking the worker down.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '@app/infrastructure';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { createTestTenant, type TestTenant } from '../support/factories';
import { FaultProxy } from '../support/fault-proxy';
import { readCsv, sha256 } from '../support/file-readers';
import { delay, isFinished, type JobRow, waitUntil } from '../support/job-polling';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(300_000);

const ROWS = 60_000;
/** About 12 MB of COPY text at 1 MB/s: the export runs for about 12 s, long enough to be hit mid-way. */
const THROTTLE = { throttle: { bytesPerSecond: 1_000_000 } } as const;
const SAFE_MESSAGE = /sql|select|connection|terminated|ECONN|timeout exceeded|stack|at /i;

describe('the worker loses PostgreSQL in the middle of an export', () => {
  let dir: string;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;
  let proxy: FaultProxy;
  let worker: RunningWorker;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-pg-outage-'));
    proxy = await FaultProxy.forUrl(readConfig().databaseUrl);
    env = {
      REDIS_URL: redisUrlWithDb(14),
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: dir,
      DATABASE_URL: proxy.rewrite(readConfig().databaseUrl),
    };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
    worker = await startWorker({ env });
  });

  afterEach(() => proxy.setMode('pass'));

  afterAll(async () => {
    await worker?.kill();
    await engine?.close();
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const requestExport = () =>
    engine.requestExport({
      tenant,
      refinement: {
        columns: ['id', 'title', 'description', 'creationTime'],
        sort: [{ field: 'id', direction: 'asc' }],
      },
    });

  /** Waits until the job is exporting and has written some rows, with the database throttled. */
  async function midExport(jobId: string): Promise<JobRow> {
    return engine.waitForJob(tenant, jobId, (j) => j.status === 'running' && j.rowsExported > 0, 60_000);
  }

  /** The end state a user may see: completed with the whole file, or failed with the safe message. */
  async function expectEnded(job: JobRow): Promise<void> {
    expect(['completed', 'failed']).toContain(job.status);
    if (job.status === 'completed') {
      const file = await engine.readFile(tenant, job.id);
      expect(file.record.sha256).toBe(sha256(file.bytes));
      expect(readCsv(file.bytes).records).toHaveLength(ROWS);
      expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
    } else {
      expect(job.errorCode).toBe('EXPORT_JOB.FAILED');
      expect(job.errorMessage).not.toMatch(SAFE_MESSAGE);
      expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.failed']);
    }
  }

  /** The worker is still up, and the same user can export again at once (no 429, nothing left running). */
  async function expectNextExportCompletes(): Promise<void> {
    expect(worker.exitCode()).toBeNull();
    const next = await requestExport();
    const done = await engine.finished(tenant, next.id, 60_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, rowsExported: ROWS });
  }

  it('a 30 s cut: the worker survives, the job ends, and the next export completes', async () => {
    proxy.setMode(THROTTLE);
    const job = await requestExport();
    await midExport(job.id);
    const cutAt = Date.now();
    proxy.setMode('cut');
    await delay(30_000);
    expect(worker.exitCode()).toBeNull();
    proxy.setMode('pass');

    const ended = await engine.waitForJob(tenant, job.id, isFinished, 120_000);
    const boundSeconds = (Date.now() - cutAt) / 1000;
    process.stdout.write(
      `postgres cut 30 s: job ${ended.status} (attempt ${ended.attempts}) ${boundSeconds.toFixed(1)} s after the cut\n`,
    );
    expect(worker.exitCode()).toBeNull();
    await expectEnded(ended);
    expect(worker.output()).not.toMatch(/Emitted 'error' event|Unhandled/);
    await expectNextExportCompletes();
  });

  it('a 90 s stall: timeouts end the attempt during the stall, then the job ends', async () => {
    proxy.setMode(THROTTLE);
    const job = await requestExport();
    await midExport(job.id);
    const before = worker.output().length;
    const stallAt = Date.now();
    proxy.setMode('stall');
    // The COPY watchdog (60 s without a byte) fails the attempt while PostgreSQL still answers nothing.
    await waitUntil(
      'the stalled attempt failed',
      () => worker.output().slice(before).includes('export attempt failed'),
      85_000,
    );
    const attemptEndedSeconds = (Date.now() - stallAt) / 1000;
    await delay(Math.max(0, stallAt + 90_000 - Date.now()));
    expect(worker.exitCode()).toBeNull();
    proxy.setMode('pass');

    const ended = await engine.waitForJob(tenant, job.id, isFinished, 120_000);
    const boundSeconds = (Date.now() - stallAt) / 1000;
    process.stdout.write(
      `postgres stall 90 s: attempt failed ${attemptEndedSeconds.toFixed(1)} s into the stall; job ${ended.status} ` +
        `(attempt ${ended.attempts}) ${boundSeconds.toFixed(1)} s after the stall began\n`,
    );
    await expectEnded(ended);
    await expectNextExportCompletes();
  });

  it('EXPORT_ATTEMPT_TIMEOUT_S: an attempt past it stops and the job fails with EXPORT_JOB.TIMED_OUT', async () => {
    await worker.stop();
    worker = await startWorker({ env: { ...env, EXPORT_ATTEMPT_TIMEOUT_S: '3' } });
    proxy.setMode(THROTTLE);
    const requestedAt = Date.now();
    const job = await requestExport();
    const ended = await engine.waitForJob(tenant, job.id, isFinished, 60_000);
    const boundSeconds = (Date.now() - requestedAt) / 1000;
    process.stdout.write(
      `attempt timeout 3 s: job ${ended.status} ${boundSeconds.toFixed(1)} s after the request\n`,
    );

    expect(ended).toMatchObject({
      status: 'failed',
      attempts: 1,
      fileId: null,
      errorCode: 'EXPORT_JOB.TIMED_OUT',
    });
    expect(ended.errorMessage).toBe(
      'The export took longer than the 3 s allowed and was stopped. Narrow the filters or try again later.',
    );
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.failed']);
    // Not retried: the queue entry ended with the job, and nothing of the attempt is left in storage.
    await delay(3_000);
    expect((await engine.repository.findById(tenant.id, job.id))?.toSnapshot().attempts).toBe(1);
    expect(await filesOf(job.id)).toEqual([]);
  });

  /** Every file the local storage holds for the job (partial uploads included). */
  async function filesOf(jobId: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true });
    return entries.filter((entry) => entry.includes(jobId));
  }
});
