import { Command } from '@nestjs/cqrs';

/** What one reconcile run did. */
export interface ReconcileSummary {
  /** Stale `queued` jobs looked at. */
  readonly checked: number;
  /** Of those, the jobs that had no live queue entry and were enqueued again. */
  readonly enqueued: number;
}

/**
 * The delivery guarantee (CONTRACT §6): the API commits a job to PostgreSQL first and enqueues it after; when Redis
 * hiccups in between, or an entry is lost for another reason (a flushed Redis, a failed entry whose job went back
 * to `queued`), the job stays `queued` with nothing to run it. A run enqueues such jobs again. Safe on several
 * workers at once: enqueueing is idempotent (the entry's id is the job's id).
 */
export class ReconcileExportQueueCommand extends Command<ReconcileSummary> {}
