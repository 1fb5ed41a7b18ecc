import type { Clock } from '../ports/clock';
import type { OutboxQueue, OutboxRows } from '../ports/outbox-queue';

const BATCH = 500;
/** A row this old that is not marked enqueued missed the queue; one overdue this long lost its entry. */
const GRACE_MS = 10_000;

/**
 * Hands outbox rows to their queue so that none is lost between PostgreSQL and Redis: new rows and those that
 * missed the queue are enqueued and marked; every `checkEveryMs`, rows that are overdue although marked and have no
 * live entry are enqueued again. One per dispatch handler (handlers are singletons, so it keeps its last check).
 */
export class OutboxRelay {
  private lastCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly rows: OutboxRows,
    private readonly queue: OutboxQueue,
    private readonly clock: Clock,
    private readonly checkEveryMs: number,
  ) {}

  /**
   * Enqueues `created` and the rows that missed the queue, marks what went in, and returns how many. When Redis
   * fails, the rows enqueued so far are marked before the error is thrown; the rest are found unenqueued next time.
   */
  async enqueue(created: readonly string[]): Promise<number> {
    const missed = await this.rows.findUnenqueued(this.ago(GRACE_MS), BATCH);
    const enqueued: string[] = [];
    let failure: Error | null = null;
    for (const id of new Set([...created, ...missed])) {
      try {
        await this.queue.enqueue(id);
        enqueued.push(id);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error)); // Redis is away: the rest would fail alike
        break;
      }
    }
    await this.rows.markEnqueued(enqueued);
    if (failure !== null) throw failure;
    return enqueued.length;
  }

  /** At most once every `checkEveryMs`: requeues overdue rows whose entry is not live; returns how many. */
  async requeueLost(): Promise<number> {
    const now = this.clock.now().getTime();
    if (now - this.lastCheck < this.checkEveryMs) return 0;
    this.lastCheck = now;
    let requeued = 0;
    for (const id of await this.rows.findOverdue(this.ago(GRACE_MS), BATCH)) {
      if (await this.queue.isLive(id)) continue;
      await this.queue.requeue(id);
      requeued += 1;
    }
    return requeued;
  }

  private ago(ms: number): Date {
    return new Date(this.clock.now().getTime() - ms);
  }
}
