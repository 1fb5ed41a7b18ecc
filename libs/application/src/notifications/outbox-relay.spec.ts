import type { Clock } from '../ports/clock';
import { OutboxQueue, type OutboxRows } from '../ports/outbox-queue';
import { OutboxRelay } from './outbox-relay';

const T0 = new Date('2026-11-30T12:00:00Z');

/** Rows as the database knows them; records what the relay asked. */
class Rows implements OutboxRows {
  readonly calls: string[] = [];
  unenqueued: string[] = [];
  overdue: string[] = [];
  markEnqueued(ids: readonly string[]): Promise<void> {
    this.calls.push(`mark ${ids.join(',')}`);
    return Promise.resolve();
  }
  findUnenqueued(before: Date): Promise<readonly string[]> {
    this.calls.push(`unenqueued before ${before.toISOString()}`);
    return Promise.resolve(this.unenqueued);
  }
  findOverdue(before: Date): Promise<readonly string[]> {
    this.calls.push(`overdue before ${before.toISOString()}`);
    return Promise.resolve(this.overdue);
  }
}

/** A keyed queue holding `live` entries; `failAfter` enqueues succeed, then Redis is away. */
class Queue extends OutboxQueue {
  readonly calls: string[] = [];
  live = new Set<string>();
  failAfter = Number.POSITIVE_INFINITY;
  enqueue(id: string): Promise<void> {
    if (this.failAfter-- <= 0) return Promise.reject(new Error('Connection is closed.'));
    this.calls.push(`enqueue ${id}`);
    return Promise.resolve();
  }
  isLive(id: string): Promise<boolean> {
    return Promise.resolve(this.live.has(id));
  }
  requeue(id: string): Promise<void> {
    this.calls.push(`requeue ${id}`);
    this.live.add(id);
    return Promise.resolve();
  }
}

function setup(): { rows: Rows; queue: Queue; relay: OutboxRelay; advance: (ms: number) => void } {
  let now = T0.getTime();
  const clock: Clock = { now: () => new Date(now) };
  const rows = new Rows();
  const queue = new Queue();
  return {
    rows,
    queue,
    relay: new OutboxRelay(rows, queue, clock, 15_000),
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('OutboxRelay', () => {
  it('enqueues the new rows and those that missed the queue (made over 10 s ago), once each, and marks them', async () => {
    const { rows, queue, relay } = setup();
    rows.unenqueued = ['b', 'c'];
    expect(await relay.enqueue(['a', 'b'])).toBe(3);
    expect(queue.calls).toEqual(['enqueue a', 'enqueue b', 'enqueue c']);
    expect(rows.calls).toEqual(['unenqueued before 2026-11-30T11:59:50.000Z', 'mark a,b,c']);
  });

  it('when Redis fails midway, marks what went in and rethrows: the rest are found unenqueued next time', async () => {
    const { rows, queue, relay } = setup();
    queue.failAfter = 1;
    await expect(relay.enqueue(['a', 'b', 'c'])).rejects.toThrow('Connection is closed.');
    expect(rows.calls.at(-1)).toBe('mark a');
  });

  it('requeues overdue rows whose entry is not live, and leaves live ones alone', async () => {
    const { rows, queue, relay } = setup();
    rows.overdue = ['lost', 'waiting', 'failed-entry'];
    queue.live.add('waiting');
    expect(await relay.requeueLost()).toBe(2);
    expect(queue.calls).toEqual(['requeue lost', 'requeue failed-entry']);
    expect(rows.calls).toEqual(['overdue before 2026-11-30T11:59:50.000Z']);
  });

  it('looks for lost entries at most once per interval', async () => {
    const { rows, relay, advance } = setup();
    rows.overdue = ['lost'];
    expect(await relay.requeueLost()).toBe(1);
    advance(14_999);
    expect(await relay.requeueLost()).toBe(0);
    expect(rows.calls).toHaveLength(1);
    advance(1);
    rows.overdue = ['lost-again'];
    expect(await relay.requeueLost()).toBe(1);
    expect(rows.calls).toHaveLength(2);
  });
});
