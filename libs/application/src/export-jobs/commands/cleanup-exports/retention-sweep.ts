import { Logger } from '@nestjs/common';
import { exportAttemptPrefix } from '@app/domain';
import type { ExpiredExport, ExportCleanupStore, IdleRunningJob } from '../../../ports/export-cleanup.store';
import type { ExportJobRepository } from '../../../ports/export-job.repository';
import type { ExportQueue } from '../../../ports/export-queue';
import type { FileStorage } from '../../../ports/file-storage';
import type { JournaledUpload, UploadJournal } from '../../../ports/upload-journal';
import type { StuckJobRecovery } from '../reconcile-export-queue/stuck-job-recovery';
import type { CleanupSummary } from './cleanup-exports.command';

const MINUTE_MS = 60_000;

/**
 * How much one run does and how long it waits before it calls something over. A `running` job untouched for 2
 * minutes is asked about its queue entry (a live attempt holds a live one); a finishing attempt closes its
 * journal entry right after it saved the job, so a settled job's uploads are left alone for 2 minutes too.
 */
export const CLEANUP_LIMITS = {
  batchSize: 100,
  /** Per category and run: at most batchSize x maxBatches items; the next run goes on. */
  maxBatches: 50,
  lostJobIdleMs: 2 * MINUTE_MS,
  settledJobGraceMs: 2 * MINUTE_MS,
  supersededUploadGraceMs: 15 * MINUTE_MS,
  uploadMaxAgeMs: 24 * 60 * MINUTE_MS,
} as const;

export interface RetentionSweepDeps {
  readonly store: ExportCleanupStore;
  readonly jobs: ExportJobRepository;
  readonly storage: FileStorage;
  readonly journal: UploadJournal;
  readonly queue: ExportQueue;
  /** The queue reconciler's rule for a stuck job, so that the two agree. */
  readonly recovery: StuckJobRecovery;
}

type Tally = { -readonly [K in Exclude<keyof CleanupSummary, 'skipped'>]: number };

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * One cleanup run at the instant `now`. Objects are deleted before the database says so: a run that stops halfway
 * leaves a job `completed` past its expiry (downloads are already refused) and the next run finishes it. An item
 * that fails is counted, logged and skipped for the rest of the run; the others go on.
 */
export class RetentionSweep {
  private readonly logger = new Logger('CleanupExports');
  private readonly tally: Tally = {
    expiredJobs: 0,
    filesDeleted: 0,
    uploadsAborted: 0,
    lostJobsFailed: 0,
    errors: 0,
  };

  constructor(
    private readonly deps: RetentionSweepDeps,
    private readonly now: Date,
  ) {}

  async run(): Promise<CleanupSummary> {
    const { store, journal, storage } = this.deps;
    const before = (ms: number): Date => new Date(this.now.getTime() - ms);
    await this.each<ExpiredExport>(
      'expired jobs',
      (after, limit) => store.expiredExports(this.now, after, limit),
      (e) => this.expire(e),
    );
    await this.each<IdleRunningJob>(
      'idle running jobs',
      (after, limit) => store.idleRunningJobs(before(CLEANUP_LIMITS.lostJobIdleMs), after, limit),
      (j) => this.failIfLost(j),
    );
    const criteria = {
      provider: storage.provider,
      jobSettledBefore: before(CLEANUP_LIMITS.settledJobGraceMs),
      supersededBefore: before(CLEANUP_LIMITS.supersededUploadGraceMs),
      startedBefore: before(CLEANUP_LIMITS.uploadMaxAgeMs),
    };
    await this.each<JournaledUpload>(
      'abandoned uploads',
      (after, limit) => journal.abandoned(criteria, after, limit),
      (u) => this.abort(u),
    );
    return { skipped: false, ...this.tally };
  }

  /** Deletes the object, records that, then moves the job to `expired` with its audit row (one transaction). */
  private async expire(expired: ExpiredExport): Promise<void> {
    const { jobs, storage, store } = this.deps;
    const job = await jobs.findById(expired.tenantId, expired.jobId);
    if (!job || job.status.value !== 'completed' || !job.isExpiredAt(this.now)) return;
    if (expired.file) {
      await storage.delete(expired.file.objectKey);
      this.tally.filesDeleted += 1;
      await store.markFileDeleted(expired.tenantId, expired.file.id, this.now);
    }
    job.expire();
    await jobs.save(job, {
      audit: [
        {
          tenantId: job.tenantId,
          actorId: null,
          action: 'export.expired',
          jobId: job.id,
          details: { expiresAt: expired.expiresAt.toISOString(), fileDeleted: expired.file !== null },
        },
      ],
    });
    this.tally.expiredJobs += 1;
  }

  /**
   * A running job with a live queue entry is BullMQ's (its stalled check); without one, nothing will ever run it. The
   * queue reconciler handles such a job within seconds; this is the same rule, for a run without a worker (the CLI).
   */
  private async failIfLost(idle: IdleRunningJob): Promise<void> {
    const { queue, journal, storage, recovery } = this.deps;
    if (await queue.isLive(idle.jobId)) return;
    const outcome = await recovery.recover(idle, 'queue entry not live');
    if (outcome !== 'failed') return;
    this.tally.lostJobsFailed += 1;
    const uploads = await journal.unfinished(idle.tenantId, idle.jobId);
    for (const upload of uploads.filter((u) => u.provider === storage.provider)) await this.abort(upload);
  }

  /**
   * Ends an upload whose attempt is over. The upload of the attempt that completed the job holds the job's file
   * (its attempt could not close the entry): kept, for the retention sweep alone to delete. Any other attempt's
   * object, committed before its attempt was lost, is deleted with it (only under that attempt's own prefix).
   */
  private async abort(upload: JournaledUpload): Promise<void> {
    const { storage, journal, jobs } = this.deps;
    const { tenantId, jobId, attempt, objectKey, uploadId } = upload;
    const job = (await jobs.findById(tenantId, jobId))?.toSnapshot();
    if (job?.file && job.attempts === attempt) {
      await journal.finished(uploadId, 'completed');
      return;
    }
    if (objectKey.startsWith(exportAttemptPrefix({ tenantId, id: jobId, attempts: attempt })))
      await storage.delete(objectKey);
    await storage.abortUpload(objectKey, uploadId);
    await journal.finished(uploadId, 'aborted');
    this.tally.uploadsAborted += 1;
  }

  /**
   * Keyset pages until a short page or the cap. A failed item is counted and passed over (the next page starts
   * after it), so one bad object can neither stop the batch nor make the loop spin.
   */
  private async each<T extends { readonly jobId: string }>(
    what: string,
    page: (after: T | null, limit: number) => Promise<T[]>,
    handle: (item: T) => Promise<void>,
  ): Promise<void> {
    const { batchSize, maxBatches } = CLEANUP_LIMITS;
    let after: T | null = null;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const items = await page(after, batchSize);
      for (const item of items) {
        try {
          await handle(item);
        } catch (error) {
          this.tally.errors += 1;
          this.logger.warn(
            { jobId: item.jobId, err: describe(error) },
            `could not clean up one of the ${what}`,
          );
        }
      }
      if (items.length < batchSize) return;
      after = items[items.length - 1];
    }
    this.logger.warn(`more ${what} than one run handles (${batchSize * maxBatches}): the next run goes on`);
  }
}
