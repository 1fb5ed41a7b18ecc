/**
 * Redis database 14.
 *
 * Issue 15, scenario g: every accepted export ends. A `running` job that no attempt will finish is found by the
 * queue reconciler (every EXPORT_RECONCILE_INTERVAL_S in every worker) and queued again while attempts remain, or
 * failed with EXPORT_JOB.WORKER_LOST and its `export.failed` row:
 * - its BullMQ entry failed (the attempts could not record their end: PostgreSQL was down then), or is gone;
 * - its progress has not changed for EXPORT_STALL_AFTER_S since its first row (a worker frozen with its lock).
 * A healthy export slower than that bound, whose progress keeps moving, is never touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportJob } from '@app/domain';
import { Worker } from 'bullmq';
import { redisConnection, type ExportQueueData, EXPORT_QUEUE } from '@app/infrastructure';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { createTestTenant, type TestTenant } from '../support/factories';
import { FaultProxy } from '../support/fault-proxy';
import { readCsv, sha256 } from '../support/file-readers';
import { readJob, waitUntil } from '../support/job-polling';
import { builtAppEnvironment, redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const SMALL = 800;
const BIG = 210_000;
const SAFE_MESSAGE = 'The export stopped unexpectedly; retry it.';

describe('stuck running jobs (issue 15 g)', () => {
  let storageDir: string;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let small: TestTenant;
  let big: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'stuck-jobs-'));
    env = { REDIS_URL: redisUrlWithDb(14), STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: storageDir };
    engine = await EngineHarness.open(env);
    small = await createTestTenant(engine.pool);
    big = await createTestTenant(engine.pool);
    const createdBefore = new Date(Date.now() - 3_600_000);
    await insertBulkTickets(engine.pool, small, { count: SMALL, createdBefore });
    await insertBulkTickets(engine.pool, big, { count: BIG, createdBefore, descriptionLength: 150 });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await engine?.close();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  async function worker(extra: Record<string, string> = {}): Promise<RunningWorker> {
    const started = await startWorker({ env: { ...env, ...extra } });
    workers.push(started);
    return started;
  }

  async function stopWorkers(): Promise<void> {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  }

  /**
   * Runs `scenario` with a worker that reads PostgreSQL through a fault proxy of its own, paced at 2.5 MB/s so an
   * export of `big` streams for several seconds; then stops every worker (SIGKILL ends a stopped one too) and the
   * proxy, whatever happened.
   */
  async function withPacedWorker(
    extra: Record<string, string>,
    scenario: (paced: RunningWorker) => Promise<void>,
  ): Promise<void> {
    const databaseUrl = builtAppEnvironment().DATABASE_URL;
    const proxy = await FaultProxy.forUrl(databaseUrl);
    try {
      proxy.setMode({ throttle: { bytesPerSecond: 2_500_000 } });
      await scenario(await worker({ ...extra, DATABASE_URL: proxy.rewrite(databaseUrl) }));
    } finally {
      await stopWorkers();
      await proxy.close();
    }
  }

  const exportOf = (tenant: TestTenant): Promise<ExportJob> =>
    engine.requestExport({
      tenant,
      refinement: {
        columns: ['id', 'title', 'description', 'creationTime'],
        sort: [{ field: 'id', direction: 'asc' }],
      },
    });

  /** The row as an attempt left it: `running`, with `attempts` attempts spent, and no end recorded. */
  async function leftRunning(tenant: TestTenant, job: ExportJob, attempts: number): Promise<void> {
    const stored = await engine.repository.findById(tenant.id, job.id);
    if (!stored) throw new Error('gone');
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) stored.release();
      stored.start(new Date());
    }
    await engine.repository.save(stored);
  }

  /** The completed job's file holds every row of the tenant once, in order, and matches its record. */
  async function expectWholeFile(tenant: TestTenant, job: ExportJob, rows: number): Promise<void> {
    const file = await engine.readFile(tenant, job.id);
    expect(file.record).toMatchObject({
      sha256: sha256(file.bytes),
      sizeBytes: file.bytes.length,
      rowCount: rows,
    });
    const ids = readCsv(file.bytes).records.map((r) => Number(r[0]));
    expect(ids).toHaveLength(rows);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
  }

  it('re-queues a running job whose entry failed or is gone and completes it; fails one with no attempt left (WORKER_LOST)', async () => {
    const failedEntry = await exportOf(small);
    const goneEntry = await exportOf(small);
    const exhausted = await exportOf(small);
    await leftRunning(small, failedEntry, 1);
    await leftRunning(small, goneEntry, 1);
    await leftRunning(small, exhausted, 3);

    // BullMQ fails the entries after their quick attempts, each of which could not reach PostgreSQL.
    const crashing = new Worker<ExportQueueData>(
      EXPORT_QUEUE,
      () => Promise.reject(new Error('Connection terminated unexpectedly')),
      { connection: { ...redisConnection(env.REDIS_URL), maxRetriesPerRequest: null } },
    );
    try {
      await waitUntil(
        'both entries failed',
        async () =>
          (await engine.queue.getJobState(failedEntry.id)) === 'failed' &&
          (await engine.queue.getJobState(exhausted.id)) === 'failed' &&
          (await engine.queue.getJobState(goneEntry.id)) === 'failed',
        30_000,
      );
    } finally {
      await crashing.close();
    }
    await (await engine.queue.getJob(goneEntry.id))?.remove();
    expect(await engine.queue.getJobState(goneEntry.id)).toBe('unknown');
    const stuckSince = Date.now();

    // A worker with the default settings (reconcile every 15 s).
    await worker();
    const workerUpAt = Date.now();
    const [a, b, c] = await Promise.all(
      [failedEntry, goneEntry, exhausted].map((j) => engine.finished(small, j.id, 60_000)),
    );
    const recoveredAt = Date.now();

    expect(a).toMatchObject({ status: 'completed', attempts: 2, rowsExported: SMALL, errorCode: null });
    expect(b).toMatchObject({ status: 'completed', attempts: 2, rowsExported: SMALL, errorCode: null });
    expect(c).toMatchObject({
      status: 'failed',
      stage: null,
      attempts: 3,
      errorCode: 'EXPORT_JOB.WORKER_LOST',
      errorMessage: SAFE_MESSAGE,
    });
    await expectWholeFile(small, failedEntry, SMALL);
    await expectWholeFile(small, goneEntry, SMALL);
    expect(await engine.auditActions(failedEntry.id)).toEqual(['export.requested', 'export.completed']);
    expect(await engine.auditActions(goneEntry.id)).toEqual(['export.requested', 'export.completed']);
    const { rows: audit } = await engine.pool.query<{
      action: string;
      actor_id: string | null;
      details: unknown;
    }>('SELECT action, actor_id, details FROM audit_events WHERE job_id = $1 ORDER BY id', [exhausted.id]);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'export.requested' }),
      {
        action: 'export.failed',
        actor_id: null,
        details: { code: 'EXPORT_JOB.WORKER_LOST', attempts: 3, cause: 'queue entry not live' },
      },
    ]);
    // The user is not held at the active limit by the stuck jobs: a new export is accepted and runs.
    const again = await exportOf(small);
    expect(await engine.finished(small, again.id, 60_000)).toMatchObject({ status: 'completed' });

    process.stdout.write(
      `[stuck-jobs] failed/absent entry: all three ended ${recoveredAt - workerUpAt} ms after a worker was up ` +
        `(${recoveredAt - stuckSince} ms after the entries failed; reconcile interval 15 s, grace 10 s)\n`,
    );
    await stopWorkers();
  });

  it('takes a job whose progress froze (worker SIGSTOPped with its lock) from its attempt; another worker completes it', async () => {
    // Paced, so the worker is still exporting when frozen: unpaced, the 210k rows may be done in about a second,
    // before a poll sees them under way.
    await withPacedWorker({}, async (frozen) => {
      const job = await exportOf(big);
      await engine.waitForJob(big, job.id, (row) => row.status === 'running' && row.rowsExported > 0, 60_000);
      process.kill(frozen.pid, 'SIGSTOP');
      const frozenAt = Date.now();
      const rescuer = await worker({ EXPORT_STALL_AFTER_S: '5', EXPORT_RECONCILE_INTERVAL_S: '1' });
      await waitUntil(
        'the stall rule took the job from the frozen attempt',
        () => rescuer.output().includes('progress stalled') && rescuer.output().includes(job.id),
        60_000,
      );
      const releasedAfter = Date.now() - frozenAt;
      const done = await engine.finished(big, job.id, 120_000);
      const completedAfter = Date.now() - frozenAt;

      expect(done).toMatchObject({ status: 'completed', attempts: 2, rowsExported: BIG, errorCode: null });
      expect(rescuer.output()).toMatch(/took a stuck export job from its attempt and queued it again/);
      await expectWholeFile(big, job, BIG);
      expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
      process.stdout.write(
        `[stuck-jobs] frozen progress (EXPORT_STALL_AFTER_S=5, reconcile 1 s): released ${releasedAfter} ms ` +
          `after the freeze, completed by another worker ${completedAfter} ms after it\n`,
      );
    });
  });

  it('never touches a healthy export that lasts several times EXPORT_STALL_AFTER_S', async () => {
    // Paced for this worker only: the export streams slowly, its progress moving all the time.
    await withPacedWorker({ EXPORT_STALL_AFTER_S: '5', EXPORT_RECONCILE_INTERVAL_S: '1' }, async (slow) => {
      const startedAt = Date.now();
      const job = await exportOf(big);
      const done = await engine.finished(big, job.id, 150_000);
      const took = Date.now() - startedAt;

      expect(done).toMatchObject({ status: 'completed', attempts: 1, rowsExported: BIG, errorCode: null });
      expect(took).toBeGreaterThan(3 * 5_000);
      expect(slow.output()).not.toMatch(/stuck export job/);
      expect((await readJob(engine.pool, big.id, job.id)).status).toBe('completed');
      await expectWholeFile(big, job, BIG);
      process.stdout.write(
        `[stuck-jobs] healthy throttled export: ${took} ms under EXPORT_STALL_AFTER_S=5, untouched\n`,
      );
    });
  });
});
