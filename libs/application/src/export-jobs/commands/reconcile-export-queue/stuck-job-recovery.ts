import { Logger } from '@nestjs/common';
import { ConcurrentUpdateError, type ExportJobFailure } from '@app/domain';
import type { ExportJobRepository } from '../../../ports/export-job.repository';
import type { ExportJobRef, ExportQueue } from '../../../ports/export-queue';

/** What the user sees on a job whose attempt was lost (its worker or queue entry) or stopped making progress. */
export const WORKER_LOST: ExportJobFailure = {
  code: 'EXPORT_JOB.WORKER_LOST',
  message: 'The export stopped unexpectedly; retry it.',
};

/** Why a `running` job was judged stuck; written to the log line and the `export.failed` audit row. */
export type StuckCause = 'queue entry not live' | 'progress stalled';

/** requeued: back to `queued` with a fresh queue entry; failed: EXPORT_JOB.WORKER_LOST; skipped: it moved on. */
export type RecoveryOutcome = 'requeued' | 'failed' | 'skipped';

/**
 * The one rule for a `running` job that no attempt will finish: while attempts remain (`attempts < maxAttempts`) it
 * goes back to `queued` and gets a fresh queue entry (a finished one is replaced; a live one, a frozen worker's, is
 * left and runs it); otherwise it fails with EXPORT_JOB.WORKER_LOST and its `export.failed` row. The queue
 * reconciler and the retention cleanup both use it, so they cannot disagree. The save is optimistic: a job that
 * changed since it was loaded (its attempt woke up and wrote, a cancel) is left alone. An attempt still holding the
 * job finds out on its next progress tick (its write is refused, the job is no longer its own) and stops.
 */
export class StuckJobRecovery {
  private readonly logger = new Logger('StuckJobRecovery');

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly queue: ExportQueue,
    private readonly maxAttempts: number,
  ) {}

  /**
   * `stillStuck` sees the job as loaded, to confirm what the caller's listing saw (e.g. the progress it had then):
   * false leaves the job alone.
   */
  async recover(
    ref: ExportJobRef,
    cause: StuckCause,
    stillStuck: (rowsExported: number) => boolean = () => true,
  ): Promise<RecoveryOutcome> {
    const job = await this.jobs.findById(ref.tenantId, ref.jobId);
    if (!job || job.status.value !== 'running') return 'skipped';
    const { attempts, progress } = job.toSnapshot();
    if (!stillStuck(progress.rowsExported)) return 'skipped';
    const line = { jobId: job.id, tenantId: job.tenantId, attempt: attempts, cause };
    const requeue = attempts < this.maxAttempts;
    try {
      if (requeue) {
        job.release();
        await this.jobs.save(job);
      } else {
        job.fail(WORKER_LOST);
        await this.jobs.save(job, {
          audit: [
            {
              tenantId: job.tenantId,
              actorId: null,
              action: 'export.failed',
              jobId: job.id,
              details: { code: WORKER_LOST.code, attempts, cause },
            },
          ],
        });
      }
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) return 'skipped';
      throw error;
    }
    if (!requeue) {
      this.logger.warn(line, 'failed a stuck export job (EXPORT_JOB.WORKER_LOST): no attempt left');
      return 'failed';
    }
    this.logger.warn(line, 'took a stuck export job from its attempt and queued it again');
    // Should Redis refuse, the job is `queued` without a live entry: the reconciler's queued pass enqueues it.
    await this.queue.requeue(ref);
    return 'requeued';
  }
}
