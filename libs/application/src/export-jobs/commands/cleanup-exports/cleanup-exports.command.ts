import { Command } from '@nestjs/cqrs';

/** What one cleanup run did. Counts are of this run only; an item counted in `errors` is retried by the next run. */
export interface CleanupSummary {
  /** Another run held the lock: this one did nothing (all counts are 0). */
  readonly skipped: boolean;
  /** Completed jobs past their expiry moved to `expired`. */
  readonly expiredJobs: number;
  /** Their files deleted from storage. */
  readonly filesDeleted: number;
  /** Multipart uploads (or temporary files) of attempts that are over, aborted. */
  readonly uploadsAborted: number;
  /** Jobs still `running` whose worker and queue entry were gone, failed with EXPORT_JOB.WORKER_LOST. */
  readonly lostJobsFailed: number;
  /** Items that could not be cleaned up this time (a storage or database error); see the log. */
  readonly errors: number;
}

/**
 * The retention cleanup (CONTRACT §6): deletes expired files and marks their jobs `expired`, aborts uploads left
 * behind by attempts that are over, and fails running jobs whose worker is gone. Safe to run twice or on two
 * workers at once: one run at a time holds the lock, and every step is idempotent.
 */
export class CleanupExportsCommand extends Command<CleanupSummary> {}
