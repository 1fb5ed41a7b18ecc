/** A completed job past its `expiresAt`, with the file the cleanup must delete. */
export interface ExpiredExport {
  readonly tenantId: string;
  readonly jobId: string;
  readonly expiresAt: Date;
  /** The job's stored file, unless it has none or it is already marked deleted. */
  readonly file: { readonly id: string; readonly objectKey: string } | null;
}

/** A job that says `running` but whose row has not changed for a while. */
export interface IdleRunningJob {
  readonly tenantId: string;
  readonly jobId: string;
}

/**
 * What the retention cleanup (CONTRACT §6) reads and marks, across all tenants: it is an operator's job, not a
 * user's. Listings are keyset pages by job id (which never changes, unlike the times they select by): pass the last
 * item of a page as `after` to get the next one, so an item the cleanup could not handle is not handed out again in
 * the same run.
 */
export abstract class ExportCleanupStore {
  /**
   * Runs `work` while holding the cleanup's database-wide lock, so one cleanup runs at a time across all workers
   * and CLI runs. Resolves to null, without running `work`, when another run holds the lock.
   */
  abstract runExclusive<T>(work: () => Promise<T>): Promise<T | null>;

  /** Completed jobs with `expiresAt <= now`. */
  abstract expiredExports(now: Date, after: ExpiredExport | null, limit: number): Promise<ExpiredExport[]>;

  /** Records that the file's object is gone from storage; idempotent. */
  abstract markFileDeleted(tenantId: string, fileId: string, at: Date): Promise<void>;

  /** Jobs `running` whose row has not changed since `idleSince` (a live attempt writes its progress often). */
  abstract idleRunningJobs(
    idleSince: Date,
    after: IdleRunningJob | null,
    limit: number,
  ): Promise<IdleRunningJob[]>;
}
