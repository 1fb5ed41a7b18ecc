import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../ports/clock';
import { ExportQueue } from '../../../ports/export-queue';
import { ExportReconcileStore, type StaleQueuedJob } from '../../../ports/export-reconcile.store';
import { ReconcileExportQueueCommand, type ReconcileSummary } from './reconcile-export-queue.command';

/**
 * A job the API has just committed is enqueued a moment later; one untouched for `graceMs` without a live entry was
 * missed. A run looks at most `batchSize x maxBatches` jobs, oldest request first; the next run goes on.
 */
export const RECONCILE_LIMITS = {
  graceMs: 10_000,
  batchSize: 100,
  maxBatches: 5,
} as const;

/** Enqueues again every stale `queued` job whose queue entry is gone or finished; a live entry is left alone. */
@CommandHandler(ReconcileExportQueueCommand)
export class ReconcileExportQueueHandler implements ICommandHandler<ReconcileExportQueueCommand> {
  constructor(
    private readonly store: ExportReconcileStore,
    private readonly queue: ExportQueue,
    private readonly clock: Clock,
  ) {}

  async execute(_command: ReconcileExportQueueCommand): Promise<ReconcileSummary> {
    const { graceMs, batchSize, maxBatches } = RECONCILE_LIMITS;
    const untouchedSince = new Date(this.clock.now().getTime() - graceMs);
    let checked = 0;
    let enqueued = 0;
    let after: StaleQueuedJob | null = null;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const jobs = await this.store.staleQueuedJobs(untouchedSince, after, batchSize);
      for (const job of jobs) {
        checked += 1;
        if (await this.queue.isLive(job.jobId)) continue;
        await this.queue.requeue({ tenantId: job.tenantId, jobId: job.jobId });
        enqueued += 1;
      }
      if (jobs.length < batchSize) break;
      after = jobs[jobs.length - 1];
    }
    return { checked, enqueued };
  }
}
