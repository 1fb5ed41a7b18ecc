import { Command } from '@nestjs/cqrs';

/** What one reconcile run did. */
export interface ReconcileSummary {
  /** Stale `queued` jobs looked at. */
  readonly checked: number;
  /** Of those, the jobs that had no live queue entry and were enqueued again. */
  readonly enqueued: number;
  /** `running` jobs looked at: untouched for the grace, or with stalled progress. */
  readonly runningChecked: number;
  /** Of those, stuck jobs with attempts left, put back to `queued` with a fresh queue entry. */
  readonly requeued: number;
  /** Of those, stuck jobs without an attempt left, failed with EXPORT_JOB.WORKER_LOST. */
  readonly failed: number;
}

/**
 * The delivery guarantee (CONTRACT §6): the API commits a job to PostgreSQL first and enqueues it after; when Redis
 * hiccups in between, or an entry is lost for another reason (a flushed Redis, a failed entry whose job went back
 * to `queued`), the job stays `queued` with nothing to run it. A run enqueues such jobs again. Safe on several
 * workers at once: enqueueing is idempotent (the entry's id is the job's id).
 *
 * Every accepted export ends: a job `running` whose queue entry is no longer live (failed, completed or gone: its
 * attempt could not record its end, PostgreSQL being down then) or whose progress has not changed for
 * EXPORT_STALL_AFTER_S is stuck; it is queued again while attempts remain, else failed (StuckJobRecovery).
 */
export class ReconcileExportQueueCommand extends Command<ReconcileSummary> {}
