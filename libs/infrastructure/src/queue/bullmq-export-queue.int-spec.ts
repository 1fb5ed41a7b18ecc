import { randomUUID } from 'node:crypto';
import {
  Clock,
  ReconcileExportQueueCommand,
  ReconcileExportQueueHandler,
  type ReconcileSummary,
  type RunningJobCandidate,
} from '@app/application';
import { DEFAULT_TICKET_QUERY, ExportJob } from '@app/domain';
import { Queue, Worker } from 'bullmq';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../test/support/factories';
import { type AppConfig, readConfig } from '../config/app-config';
import { TypeormExportJobRepository } from '../persistence/repositories/typeorm-export-job.repository';
import { TypeormExportReconcileStore } from '../persistence/repositories/typeorm-export-reconcile.store';
import { BullmqExportQueue } from './bullmq-export-queue';
import {
  EXPORT_QUEUE,
  exportJobOptions,
  type ExportQueueData,
  redisConnection,
} from './export-queue.constants';

/** A minute ahead: this spec's jobs are stale to its reconciler at once, and fresh to the workers of other specs. */
class AheadClock extends Clock {
  now(): Date {
    return new Date(Date.now() + 60_000);
  }
}

/**
 * Only the queued pass: under this spec's clock every `running` job of the other specs would look stuck, and its own
 * queue (under its own prefix) holds no entry of theirs. The running pass has its own integration spec.
 */
class QueuedOnlyReconcileStore extends TypeormExportReconcileStore {
  override runningJobs(): Promise<RunningJobCandidate[]> {
    return Promise.resolve([]);
  }
}

/**
 * The reconciler with its real adapters: PostgreSQL and the `exports` queue on Redis, under a key prefix of this
 * spec's own, so no worker of another spec sees its entries.
 */
describe('ReconcileExportQueueHandler with BullmqExportQueue (PostgreSQL, Redis)', () => {
  const prefix = `reconcile-${randomUUID()}`;
  let config: AppConfig;
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  let queue: Queue<ExportQueueData>;
  let exportQueue: BullmqExportQueue;
  let reconcile: () => Promise<ReconcileSummary>;

  beforeAll(async () => {
    config = readConfig();
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    queue = new Queue<ExportQueueData>(EXPORT_QUEUE, {
      prefix,
      connection: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null },
    });
    exportQueue = new BullmqExportQueue(queue, config);
    const handler = new ReconcileExportQueueHandler(
      new QueuedOnlyReconcileStore(dataSource),
      exportQueue,
      new AheadClock(),
      new TypeormExportJobRepository(dataSource),
      {
        retentionHours: 72,
        maxAttempts: 3,
        progressIntervalMs: 500,
        stallAfterMs: 300_000,
        maxRowsByFormat: {},
        attemptTimeoutMs: 1_800_000,
      },
    );
    reconcile = () => handler.execute(new ReconcileExportQueueCommand());
  });
  afterAll(async () => {
    await pool.query(
      `UPDATE export_jobs SET status = 'cancelled', version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND status = 'queued'`,
      [tenant.id],
    );
    await queue.obliterate({ force: true });
    await queue.close();
    await dataSource.destroy();
    await pool.end();
  });

  /** A job saved `queued` as the API saves it, touched now. */
  async function aQueuedJob(): Promise<ExportQueueData> {
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: tenant.id,
      requestedBy: { id: tenant.userId('admin'), email: tenant.email('admin') },
      source: 'tickets',
      format: 'csv',
      query: { ...DEFAULT_TICKET_QUERY, viewId: null, viewName: null, timezone: 'UTC', fileName: null },
      now: new Date(),
    });
    await new TypeormExportJobRepository(dataSource).save(job);
    return { tenantId: job.tenantId, jobId: job.id };
  }

  /** Runs the given entries to completion (or failure, for `failing`) with a worker of this spec's prefix. */
  async function finish(entries: ExportQueueData[], failing: ReadonlySet<string>): Promise<void> {
    for (const data of entries) await queue.add('export', data, { jobId: data.jobId, attempts: 1 });
    const worker = new Worker<ExportQueueData>(
      EXPORT_QUEUE,
      (entry) => (failing.has(entry.data.jobId) ? Promise.reject(new Error('boom')) : Promise.resolve()),
      { prefix, connection: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null } },
    );
    try {
      for (const { jobId } of entries) {
        const want = failing.has(jobId) ? 'failed' : 'completed';
        const deadline = Date.now() + 10_000;
        while ((await queue.getJobState(jobId)) !== want) {
          if (Date.now() > deadline) throw new Error(`entry ${jobId} did not become ${want}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    } finally {
      await worker.close();
    }
  }

  it('enqueues a queued job that has no entry, with the API options', async () => {
    const job = await aQueuedJob();
    await expect(exportQueue.isLive(job.jobId)).resolves.toBe(false);

    const summary = await reconcile();

    expect(summary.enqueued).toBeGreaterThanOrEqual(1);
    expect(await queue.getJobState(job.jobId)).toBe('waiting');
    const entry = await queue.getJob(job.jobId);
    expect(entry?.data).toEqual(job);
    expect(entry?.opts).toMatchObject(exportJobOptions(config, job.jobId));
    await expect(exportQueue.isLive(job.jobId)).resolves.toBe(true);
  });

  it('leaves a live entry alone', async () => {
    const job = await aQueuedJob();
    await queue.add('export', job, { ...exportJobOptions(config, job.jobId), delay: 3_600_000 });
    const before = await queue.getJob(job.jobId);
    await expect(exportQueue.isLive(job.jobId)).resolves.toBe(true);

    await reconcile();

    expect(await queue.getJobState(job.jobId)).toBe('delayed');
    expect((await queue.getJob(job.jobId))?.timestamp).toBe(before?.timestamp);
  });

  it('replaces the finished entry (completed or failed) of a job still queued', async () => {
    const completed = await aQueuedJob();
    const failed = await aQueuedJob();
    await finish([completed, failed], new Set([failed.jobId]));
    await expect(exportQueue.isLive(completed.jobId)).resolves.toBe(false);
    await expect(exportQueue.isLive(failed.jobId)).resolves.toBe(false);

    await reconcile();

    for (const job of [completed, failed]) {
      expect(await queue.getJobState(job.jobId)).toBe('waiting');
      const entry = await queue.getJob(job.jobId);
      expect(entry?.opts.attempts).toBe(config.exports.maxAttempts);
      expect(entry?.attemptsMade).toBe(0);
      expect(entry?.finishedOn).toBeUndefined();
    }
  });
});
