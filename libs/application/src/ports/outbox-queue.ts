/**
 * A queue of outbox rows (webhook deliveries, notification mails), one entry per row keyed by the row's id, so an
 * enqueue of a row that has an entry is a no-op.
 */
export abstract class OutboxQueue {
  abstract enqueue(id: string): Promise<void>;
  /** Whether the queue holds an entry that will still run the row: waiting, delayed or active. */
  abstract isLive(id: string): Promise<boolean>;
  /**
   * Enqueues a row whose entry is not live: a finished entry (kept for inspection) is removed first, since an enqueue
   * under its id would be a no-op; an entry that turned live meanwhile is left as it is. Idempotent.
   */
  abstract requeue(id: string): Promise<void>;
}

/** The rows' side of the hand-over: which rows are in the queue, as far as the database knows. */
export interface OutboxRows {
  markEnqueued(ids: readonly string[]): Promise<void>;
  /** Pending rows made before `before` that never reached the queue (Redis was away when they were made). */
  findUnenqueued(before: Date, limit: number): Promise<readonly string[]>;
  /**
   * Pending rows marked enqueued that were due before `before` and are not being attempted: their queue entry should
   * have run them by then, unless it was lost (Redis restarted without its data) or ended without settling the row.
   */
  findOverdue(before: Date, limit: number): Promise<readonly string[]>;
}
