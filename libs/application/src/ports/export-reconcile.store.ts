/** A job still `queued` whose row has not changed for a while. */
export interface StaleQueuedJob {
  readonly tenantId: string;
  readonly jobId: string;
  readonly requestedAt: Date;
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
}
