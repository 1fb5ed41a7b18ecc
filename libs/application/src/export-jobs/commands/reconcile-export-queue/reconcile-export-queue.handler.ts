import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../ports/clock';
import { ExportEngineSettings } from '../../../ports/export-engine-settings';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { ExportQueue } from '../../../ports/export-queue';
import {
  ExportReconcileStore,
  type RunningJobCandidate,
  type StaleQueuedJob,
} from '../../../ports/export-reconcile.store';
import { ReconcileExportQueueCommand, type ReconcileSummary } from './reconcile-export-queue.command';
import { type StuckCause, StuckJobRecovery } from './stuck-job-recovery';

/**
 * A job the API has just committed is enqueued a moment later; one untouched for `graceMs` without a live entry was
 * missed. The same grace covers a `running` job: its attempt takes the entry (active) before it saves the row, and
 * saves the row before it finishes the entry. A run looks at most `batchSize x maxBatches` jobs of each status,
 * oldest request first; the next run goes on.
 */
export const RECONCILE_LIMITS = {
  graceMs: 10_000,
  batchSize: 100,
  maxBatches: 5,
} as const;

type Counts = { -readonly [K in keyof ReconcileSummary]: number };

/**
 * Enqueues again every stale `queued` job whose queue entry is gone or finished (a live entry is left alone), then
 * recovers every `running` job that no attempt will finish: its entry is not live, or its progress stalled.
 */
@CommandHandler(ReconcileExportQueueCommand)
export class ReconcileExportQueueHandler implements ICommandHandler<ReconcileExportQueueCommand> {
  private readonly recovery: StuckJobRecovery;

  constructor(
    private readonly store: ExportReconcileStore,
    private readonly queue: ExportQueue,
    private readonly clock: Clock,
    jobs: ExportJobRepository,
    private readonly settings: ExportEngineSettings,
  ) {
    this.recovery = new StuckJobRecovery(jobs, queue, settings.maxAttempts);
  }

  async execute(_command: ReconcileExportQueueCommand): Promise<ReconcileSummary> {
    const now = this.clock.now().getTime();
    const untouchedSince = new Date(now - RECONCILE_LIMITS.graceMs);
    const stalledSince = new Date(now - this.settings.stallAfterMs);
    const counts: Counts = { checked: 0, enqueued: 0, runningChecked: 0, requeued: 0, failed: 0 };
    await pages<StaleQueuedJob>(
      (after, limit) => this.store.staleQueuedJobs(untouchedSince, after, limit),
      async (job) => {
        counts.checked += 1;
        if (await this.queue.isLive(job.jobId)) return;
        await this.queue.requeue({ tenantId: job.tenantId, jobId: job.jobId });
        counts.enqueued += 1;
      },
    );
    await pages<RunningJobCandidate>(
      (after, limit) => this.store.runningJobs(untouchedSince, stalledSince, after, limit),
      async (job) => {
        counts.runningChecked += 1;
        let cause: StuckCause = 'progress stalled';
        if (!job.stalled) {
          if (await this.queue.isLive(job.jobId)) return;
          cause = 'queue entry not live';
        }
        const outcome = await this.recovery.recover(job, cause, (rows) => rows === job.rowsExported);
        if (outcome === 'requeued') counts.requeued += 1;
        if (outcome === 'failed') counts.failed += 1;
      },
    );
    return counts;
  }
}

/** Keyset pages, each item handled in turn, until a short page or the cap. */
async function pages<T>(
  page: (after: T | null, limit: number) => Promise<T[]>,
  handle: (item: T) => Promise<void>,
): Promise<void> {
  const { batchSize, maxBatches } = RECONCILE_LIMITS;
  let after: T | null = null;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const items = await page(after, batchSize);
    for (const item of items) await handle(item);
    if (items.length < batchSize) return;
    after = items[items.length - 1];
  }
}
