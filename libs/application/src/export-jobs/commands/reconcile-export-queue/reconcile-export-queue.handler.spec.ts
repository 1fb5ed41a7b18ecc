import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { anExportJob } from '@app/domain/testing/export-job.factory';
import { FakeExportJobRepository, FixedClock } from '../../../testing/api-fakes';
import { type ExportJobRef, ExportQueue } from '../../../ports/export-queue';
import {
  ExportReconcileStore,
  type RunningJobCandidate,
  type StaleQueuedJob,
} from '../../../ports/export-reconcile.store';
import { ReconcileExportQueueCommand, type ReconcileSummary } from './reconcile-export-queue.command';
import { RECONCILE_LIMITS, ReconcileExportQueueHandler } from './reconcile-export-queue.handler';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const SECOND = 1000;
const STALL_AFTER_MS = 300 * SECOND;
const MAX_ATTEMPTS = 3;

const unexpected = (what: string): never => {
  throw new Error(`unexpected call: ${what}`);
};

interface JobRow {
  readonly tenantId: string;
  readonly jobId: string;
  readonly status: 'queued' | 'running' | 'completed';
  readonly requestedAt: Date;
  readonly updatedAt: Date;
  /** Running jobs: when the attempt's row count last changed (null before its first row) and that count. */
  readonly progressChangedAt?: Date | null;
  readonly rowsExported?: number;
}

const key = (j: { requestedAt: Date; jobId: string }): string => `${j.requestedAt.toISOString()} ${j.jobId}`;

/**
 * The jobs table, with the listing rules as the port states them; the SQL has its own integration spec. The status
 * of a running job is the repository's (the reconciler changes it there).
 */
class FakeReconcileStore extends ExportReconcileStore {
  readonly rows: JobRow[] = [];
  readonly pages: { untouchedSince: Date; after: string | null; limit: number }[] = [];
  readonly runningPages: { untouchedSince: Date; stalledSince: Date }[] = [];

  constructor(private readonly jobs: FakeExportJobRepository) {
    super();
  }

  runningJobs(
    untouchedSince: Date,
    stalledSince: Date,
    after: RunningJobCandidate | null,
    limit: number,
  ): Promise<RunningJobCandidate[]> {
    this.runningPages.push({ untouchedSince, stalledSince });
    const stalled = (r: JobRow): boolean => !!r.progressChangedAt && r.progressChangedAt < stalledSince;
    const items = this.rows
      .filter((r) => (this.jobs.stored(r.jobId)?.status ?? r.status) === 'running')
      .filter((r) => r.updatedAt < untouchedSince || stalled(r))
      .filter((r) => after === null || key(r) > key(after))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, limit)
      .map((r) => ({
        tenantId: r.tenantId,
        jobId: r.jobId,
        requestedAt: r.requestedAt,
        rowsExported: r.rowsExported ?? 0,
        stalled: stalled(r),
      }));
    return Promise.resolve(items);
  }

  staleQueuedJobs(
    untouchedSince: Date,
    after: StaleQueuedJob | null,
    limit: number,
  ): Promise<StaleQueuedJob[]> {
    this.pages.push({ untouchedSince, after: after?.jobId ?? null, limit });
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
  const jobs = new FakeExportJobRepository();
  const store = new FakeReconcileStore(jobs);
  const queue = new FakeQueue();
  const settings = {
    retentionHours: 72,
    maxAttempts: MAX_ATTEMPTS,
    progressIntervalMs: 500,
    stallAfterMs: STALL_AFTER_MS,
    maxRowsByFormat: {},
    attemptTimeoutMs: 1_800_000,
  };
  const handler = new ReconcileExportQueueHandler(store, queue, new FixedClock(NOW), jobs, settings);
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
  /** A running job in the repository and the table: `attempts` spent, `rows` exported, progress changed then. */
  const running = (
    updatedAt: Date,
    entry: EntryState | undefined,
    opts: { attempts?: number; rows?: number; progressChangedAt?: Date | null } = {},
  ): JobRow => {
    n += 1;
    const rows = opts.rows ?? 400;
    const stored = anExportJob({
      status: 'running',
      attempts: opts.attempts ?? 1,
      progress: { percent: 40, rowsExported: rows, totalRows: 1000 },
    });
    jobs.seed(stored);
    const row: JobRow = {
      tenantId: stored.tenantId,
      jobId: stored.id,
      status: 'running',
      requestedAt: ago(3600 * SECOND - n * SECOND),
      updatedAt,
      progressChangedAt: opts.progressChangedAt === undefined ? updatedAt : opts.progressChangedAt,
      rowsExported: rows,
    };
    store.rows.push(row);
    if (entry) queue.entries.set(row.jobId, { ref: row, state: entry });
    return row;
  };
  return { store, queue, jobs, run, job, running };
}

const summary = (counts: Partial<ReconcileSummary>): ReconcileSummary => ({
  checked: 0,
  enqueued: 0,
  runningChecked: 0,
  requeued: 0,
  failed: 0,
  ...counts,
});

describe('ReconcileExportQueueHandler', () => {
  it('enqueues a stale queued job without an entry, replaces a finished entry and leaves a live one alone', async () => {
    const { queue, run, job } = setup();
    const missing = job('queued', ago(11 * SECOND));
    const completed = job('queued', ago(60 * SECOND), 'completed');
    const failed = job('queued', ago(60 * SECOND), 'failed');
    const waiting = job('queued', ago(60 * SECOND), 'waiting');
    const active = job('queued', ago(60 * SECOND), 'active');

    await expect(run()).resolves.toEqual(summary({ checked: 5, enqueued: 3 }));

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
    const running = job('running', ago(60 * SECOND), 'active');
    job('running', ago(2 * SECOND));
    job('completed', ago(60 * SECOND), 'completed');

    await expect(run()).resolves.toEqual(summary({ checked: 0, enqueued: 0, runningChecked: 1 }));

    expect(RECONCILE_LIMITS.graceMs).toBe(10 * SECOND);
    expect(store.pages).toEqual([{ untouchedSince: ago(10 * SECOND), after: null, limit: 100 }]);
    // The running job is the running pass's: its entry is asked about, and it is live.
    expect(queue.log).toEqual([`isLive ${running.jobId}`]);
  });

  it('is idempotent: a second run finds every entry live and enqueues nothing', async () => {
    const { queue, run, job } = setup();
    job('queued', ago(60 * SECOND));
    job('queued', ago(60 * SECOND), 'failed');

    await expect(run()).resolves.toEqual(summary({ checked: 2, enqueued: 2 }));
    queue.log.length = 0;
    await expect(run()).resolves.toEqual(summary({ checked: 2, enqueued: 0 }));
    expect(queue.log.filter((line) => line.startsWith('requeue'))).toEqual([]);
  });

  it('pages by the last job of each page, so a backlog of live entries does not hide a job behind it', async () => {
    const { store, queue, run, job } = setup();
    const live = Array.from({ length: 250 }, () => job('queued', ago(60 * SECOND), 'waiting'));
    const lost = job('queued', ago(60 * SECOND));

    await expect(run()).resolves.toEqual(summary({ checked: 251, enqueued: 1 }));

    expect(store.pages.map((p) => p.after)).toEqual([null, live[99].jobId, live[199].jobId]);
    expect(queue.entries.get(lost.jobId)?.state).toBe('waiting');
  });

  it('looks at no more than batchSize x maxBatches jobs in one run, oldest first', async () => {
    const { store, queue, run, job } = setup();
    const { batchSize, maxBatches } = RECONCILE_LIMITS;
    const jobs = Array.from({ length: batchSize * maxBatches + 1 }, () => job('queued', ago(60 * SECOND)));

    await expect(run()).resolves.toEqual(summary({ checked: 500, enqueued: 500 }));

    expect(store.pages).toHaveLength(5);
    expect(queue.entries.has(jobs[499].jobId)).toBe(true);
    expect(queue.entries.has(jobs[500].jobId)).toBe(false);
    await expect(run()).resolves.toEqual(summary({ checked: 500, enqueued: 0 }));
  });

  it('rejects when the queue does not answer, having enqueued nothing', async () => {
    const { queue, run, job } = setup();
    job('queued', ago(60 * SECOND));
    queue.down = true;

    await expect(run()).rejects.toThrow('Connection is closed.');
    expect(queue.entries.size).toBe(0);
  });

  describe('stuck running jobs', () => {
    let warnings: string[];
    beforeEach(() => {
      warnings = [];
      jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
        warnings.push(JSON.stringify(args));
      });
    });
    afterEach(() => jest.restoreAllMocks());

    it('queues again, with a fresh entry, a running job whose entry failed, completed or is gone, while attempts remain', async () => {
      const { jobs, queue, run, running } = setup();
      const failed = running(ago(60 * SECOND), 'failed', { attempts: 2 });
      const completed = running(ago(60 * SECOND), 'completed');
      const gone = running(ago(11 * SECOND), undefined);
      const active = running(ago(60 * SECOND), 'active');
      const waiting = running(ago(60 * SECOND), 'waiting');

      await expect(run()).resolves.toEqual(summary({ runningChecked: 5, requeued: 3 }));

      for (const lost of [failed, completed, gone]) {
        expect(jobs.stored(lost.jobId)).toMatchObject({ status: 'queued', stage: 'queued', error: null });
        expect(queue.entries.get(lost.jobId)?.state).toBe('waiting');
        expect(queue.log).toContain(`requeue ${lost.jobId}`);
      }
      expect(jobs.stored(failed.jobId)?.attempts).toBe(2);
      expect([active, waiting].map((j) => jobs.stored(j.jobId)?.status)).toEqual(['running', 'running']);
      expect(queue.log.filter((l) => l.startsWith('requeue'))).toHaveLength(3);
      expect(jobs.audit).toEqual([]);
      expect(warnings.filter((w) => w.includes('queued it again'))).toHaveLength(3);
      expect(warnings[0]).toContain('"cause":"queue entry not live"');
    });

    it('fails one with no attempt left with EXPORT_JOB.WORKER_LOST and its export.failed row, and queues nothing', async () => {
      const { jobs, queue, run, running } = setup();
      const lost = running(ago(60 * SECOND), 'failed', { attempts: MAX_ATTEMPTS });

      await expect(run()).resolves.toEqual(summary({ runningChecked: 1, failed: 1 }));

      expect(jobs.stored(lost.jobId)).toMatchObject({
        status: 'failed',
        stage: null,
        error: { code: 'EXPORT_JOB.WORKER_LOST', message: 'The export stopped unexpectedly; retry it.' },
      });
      expect(jobs.audit).toEqual([
        {
          tenantId: lost.tenantId,
          actorId: null,
          action: 'export.failed',
          jobId: lost.jobId,
          details: { code: 'EXPORT_JOB.WORKER_LOST', attempts: MAX_ATTEMPTS, cause: 'queue entry not live' },
        },
      ]);
      expect(queue.entries.get(lost.jobId)?.state).toBe('failed');
      expect(queue.log).toEqual([`isLive ${lost.jobId}`]);
    });

    it('recovers a job whose progress has not changed for EXPORT_STALL_AFTER_S even with a live entry (a frozen or wedged attempt)', async () => {
      const { jobs, queue, run, running } = setup();
      const frozen = running(ago(301 * SECOND), 'active', { progressChangedAt: ago(301 * SECOND) });
      const exhausted = running(ago(400 * SECOND), 'active', {
        attempts: MAX_ATTEMPTS,
        progressChangedAt: ago(400 * SECOND),
      });
      const slow = running(ago(299 * SECOND), 'active', { progressChangedAt: ago(299 * SECOND) });

      await expect(run()).resolves.toEqual(summary({ runningChecked: 3, requeued: 1, failed: 1 }));

      expect(jobs.stored(frozen.jobId)?.status).toBe('queued');
      // The frozen attempt's entry is live: it is left to run the job (BullMQ's stalled check hands it on).
      expect(queue.entries.get(frozen.jobId)?.state).toBe('active');
      expect(jobs.stored(exhausted.jobId)).toMatchObject({
        status: 'failed',
        error: { code: 'EXPORT_JOB.WORKER_LOST' },
      });
      expect(jobs.audit[0].details).toEqual({
        code: 'EXPORT_JOB.WORKER_LOST',
        attempts: MAX_ATTEMPTS,
        cause: 'progress stalled',
      });
      expect(jobs.stored(slow.jobId)?.status).toBe('running');
      expect(queue.log).toEqual([`requeue ${frozen.jobId}`, `isLive ${slow.jobId}`]);
    });

    it('never judges an attempt by its progress before its first row: counting or a long sort is left to its live entry', async () => {
      const { store, jobs, run, running } = setup();
      const counting = running(ago(3600 * SECOND), 'active', { rows: 0, progressChangedAt: null });

      await expect(run()).resolves.toEqual(summary({ runningChecked: 1 }));

      expect(jobs.stored(counting.jobId)?.status).toBe('running');
      expect(store.runningPages).toEqual([
        { untouchedSince: ago(10 * SECOND), stalledSince: ago(STALL_AFTER_MS) },
      ]);
    });

    it('leaves a job whose progress moved, or that changed otherwise, between the listing and the save', async () => {
      const { jobs, queue, run, running } = setup();
      const moved = running(ago(400 * SECOND), 'active', { progressChangedAt: ago(400 * SECOND) });
      const stored = await jobs.findById(moved.tenantId, moved.jobId);
      stored?.reportProgress(401, 1000);
      if (stored) await jobs.saveProgress(stored);
      const raced = running(ago(60 * SECOND), 'failed');
      jobs.staleSaves = 1;

      await expect(run()).resolves.toEqual(summary({ runningChecked: 2 }));

      expect([moved, raced].map((j) => jobs.stored(j.jobId)?.status)).toEqual(['running', 'running']);
      expect(queue.log.filter((l) => l.startsWith('requeue'))).toEqual([]);
    });

    it('rejects when the queue does not answer, having changed nothing', async () => {
      const { jobs, queue, run, running } = setup();
      const lost = running(ago(60 * SECOND), undefined);
      queue.down = true;

      await expect(run()).rejects.toThrow('Connection is closed.');
      expect(jobs.stored(lost.jobId)?.status).toBe('running');
    });
  });
});
