/** A job still `queued` whose row has not changed for a while. */
export interface StaleQueuedJob {
  readonly tenantId: string;
  readonly jobId: string;
  readonly requestedAt: Date;
}

/** A job `running` that may have no attempt left to finish it; the reconciler decides with its queue entry. */
export interface RunningJobCandidate {
  readonly tenantId: string;
  readonly jobId: string;
  readonly requestedAt: Date;
  /** Its exported row count, as listed (the reconciler confirms it on the loaded job). */
  readonly rowsExported: number;
  /** Its attempt has exported rows, and their count has not changed since `stalledSince`. */
  readonly stalled: boolean;
}

/**
 * What the queue reconciler (CONTRACT §6, delivery guarantee) reads, across all tenants: it is the worker's job,
 * not a user's. Listings are keyset pages, oldest request first: pass the last item of a page as `after` to get the
 * next one.
 */
export abstract class ExportReconcileStore {
  /** Jobs `queued` whose row has not changed since `untouchedSince`, by (requestedAt, jobId). */
  abstract staleQueuedJobs(
    untouchedSince: Date,
    after: StaleQueuedJob | null,
    limit: number,
  ): Promise<StaleQueuedJob[]>;

  /**
   * Jobs `running` whose row has not changed since `untouchedSince` (whether an attempt still holds them is the
   * queue's to say), or whose progress has not changed since `stalledSince`, by (requestedAt, jobId). Progress is
   * judged from the attempt's first row on: a job still counting, or sorting before its first row, is never stalled.
   */
  abstract runningJobs(
    untouchedSince: Date,
    stalledSince: Date,
    after: RunningJobCandidate | null,
    limit: number,
  ): Promise<RunningJobCandidate[]>;
}
