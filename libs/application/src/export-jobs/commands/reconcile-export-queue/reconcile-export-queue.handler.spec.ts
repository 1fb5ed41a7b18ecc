import { randomUUID } from 'node:crypto';
import { FixedClock } from '../../../testing/api-fakes';
import { type ExportJobRef, ExportQueue } from '../../../ports/export-queue';
import { ExportReconcileStore, type StaleQueuedJob } from '../../../ports/export-reconcile.store';
import { ReconcileExportQueueCommand, type ReconcileSummary } from './reconcile-export-queue.command';
import { RECONCILE_LIMITS, ReconcileExportQueueHandler } from './reconcile-export-queue.handler';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const SECOND = 1000;

const unexpected = (what: string): never => {
  throw new Error(`unexpected call: ${what}`);
};

interface JobRow {
  readonly tenantId: string;
  readonly jobId: string;
  readonly status: 'queued' | 'running' | 'completed';
  readonly requestedAt: Date;
  readonly updatedAt: Date;
}

/** The jobs table, with the listing rule as the port states it; the SQL has its own integration spec. */
class FakeReconcileStore extends ExportReconcileStore {
  readonly rows: JobRow[] = [];
  readonly pages: { untouchedSince: Date; after: string | null; limit: number }[] = [];

  staleQueuedJobs(
    untouchedSince: Date,
    after: StaleQueuedJob | null,
    limit: number,
  ): Promise<StaleQueuedJob[]> {
    this.pages.push({ untouchedSince, after: after?.jobId ?? null, limit });
    const key = (j: { requestedAt: Date; jobId: string }): string =>
      `${j.requestedAt.toISOString()} ${j.jobId}`;
    const items = this.rows
      .filter((r) => r.status === 'queued' && r.updatedAt < untouchedSince)
      .filter((r) => after === null || key(r) > key(after))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, limit)
      .map(({ tenantId, jobId, requestedAt }) => ({ tenantId, jobId, requestedAt }));
    return Promise.resolve(items);
  }
}

type EntryState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';
const LIVE: readonly EntryState[] = ['waiting', 'delayed', 'active'];

/** Queue entries by job id and an ordered log of what was asked and done. */
class FakeQueue extends ExportQueue {
  readonly entries = new Map<string, { ref: ExportJobRef; state: EntryState }>();
  readonly log: string[] = [];
  down = false;

  isLive(jobId: string): Promise<boolean> {
    this.log.push(`isLive ${jobId}`);
    if (this.down) return Promise.reject(new Error('Connection is closed.'));
    const state = this.entries.get(jobId)?.state;
    return Promise.resolve(state !== undefined && LIVE.includes(state));
  }

  requeue(ref: ExportJobRef): Promise<void> {
    this.log.push(`requeue ${ref.jobId}`);
    const entry = this.entries.get(ref.jobId);
    if (!entry || !LIVE.includes(entry.state)) this.entries.set(ref.jobId, { ref, state: 'waiting' });
    return Promise.resolve();
  }

  enqueue(): Promise<void> {
    return unexpected('ExportQueue.enqueue');
  }
  contains(): Promise<boolean> {
    return unexpected('ExportQueue.contains');
  }
}

function setup() {
  const store = new FakeReconcileStore();
  const queue = new FakeQueue();
  const handler = new ReconcileExportQueueHandler(store, queue, new FixedClock(NOW));
  const run = (): Promise<ReconcileSummary> => handler.execute(new ReconcileExportQueueCommand());
  let n = 0;
  /** A job row; requested one second after the previous one, so the listing order is the order of creation. */
  const job = (status: JobRow['status'], updatedAt: Date, entry?: EntryState): JobRow => {
    n += 1;
    const row: JobRow = {
      tenantId: 'tenant-1',
      jobId: randomUUID(),
      status,
      requestedAt: ago(3600 * SECOND - n * SECOND),
      updatedAt,
    };
    store.rows.push(row);
    if (entry) queue.entries.set(row.jobId, { ref: row, state: entry });
    return row;
  };
  return { store, queue, run, job };
}

describe('ReconcileExportQueueHandler', () => {
  it('enqueues a stale queued job without an entry, replaces a finished entry and leaves a live one alone', async () => {
    const { queue, run, job } = setup();
    const missing = job('queued', ago(11 * SECOND));
    const completed = job('queued', ago(60 * SECOND), 'completed');
    const failed = job('queued', ago(60 * SECOND), 'failed');
    const waiting = job('queued', ago(60 * SECOND), 'waiting');
    const active = job('queued', ago(60 * SECOND), 'active');

    await expect(run()).resolves.toEqual({ checked: 5, enqueued: 3 });

    expect(queue.log).toEqual([
      `isLive ${missing.jobId}`,
      `requeue ${missing.jobId}`,
      `isLive ${completed.jobId}`,
      `requeue ${completed.jobId}`,
      `isLive ${failed.jobId}`,
      `requeue ${failed.jobId}`,
      `isLive ${waiting.jobId}`,
      `isLive ${active.jobId}`,
    ]);
    expect(queue.entries.get(missing.jobId)).toEqual({
      ref: { tenantId: 'tenant-1', jobId: missing.jobId },
      state: 'waiting',
    });
    expect([completed, failed, active].map((j) => queue.entries.get(j.jobId)?.state)).toEqual([
      'waiting',
      'waiting',
      'active',
    ]);
  });

  it('leaves jobs touched within the 10 s grace and jobs no longer queued', async () => {
    const { store, queue, run, job } = setup();
    job('queued', ago(10 * SECOND));
    job('queued', ago(2 * SECOND));
    job('running', ago(60 * SECOND));
    job('completed', ago(60 * SECOND), 'completed');

    await expect(run()).resolves.toEqual({ checked: 0, enqueued: 0 });

    expect(RECONCILE_LIMITS.graceMs).toBe(10 * SECOND);
    expect(store.pages).toEqual([{ untouchedSince: ago(10 * SECOND), after: null, limit: 100 }]);
    expect(queue.log).toEqual([]);
  });

  it('is idempotent: a second run finds every entry live and enqueues nothing', async () => {
    const { queue, run, job } = setup();
    job('queued', ago(60 * SECOND));
    job('queued', ago(60 * SECOND), 'failed');

    await expect(run()).resolves.toEqual({ checked: 2, enqueued: 2 });
    queue.log.length = 0;
    await expect(run()).resolves.toEqual({ checked: 2, enqueued: 0 });
    expect(queue.log.filter((line) => line.startsWith('requeue'))).toEqual([]);
  });

  it('pages by the last job of each page, so a backlog of live entries does not hide a job behind it', async () => {
    const { store, queue, run, job } = setup();
    const live = Array.from({ length: 250 }, () => job('queued', ago(60 * SECOND), 'waiting'));
    const lost = job('queued', ago(60 * SECOND));

    await expect(run()).resolves.toEqual({ checked: 251, enqueued: 1 });

    expect(store.pages.map((p) => p.after)).toEqual([null, live[99].jobId, live[199].jobId]);
    expect(queue.entries.get(lost.jobId)?.state).toBe('waiting');
  });

  it('looks at no more than batchSize x maxBatches jobs in one run, oldest first', async () => {
    const { store, queue, run, job } = setup();
    const { batchSize, maxBatches } = RECONCILE_LIMITS;
    const jobs = Array.from({ length: batchSize * maxBatches + 1 }, () => job('queued', ago(60 * SECOND)));

    await expect(run()).resolves.toEqual({ checked: 500, enqueued: 500 });

    expect(store.pages).toHaveLength(5);
    expect(queue.entries.has(jobs[499].jobId)).toBe(true);
    expect(queue.entries.has(jobs[500].jobId)).toBe(false);
    await expect(run()).resolves.toEqual({ checked: 500, enqueued: 0 });
  });

  it('rejects when the queue does not answer, having enqueued nothing', async () => {
    const { queue, run, job } = setup();
    job('queued', ago(60 * SECOND));
    queue.down = true;

    await expect(run()).rejects.toThrow('Connection is closed.');
    expect(queue.entries.size).toBe(0);
  });
});
