export interface ExportJobRef {
  readonly tenantId: string;
  readonly jobId: string;
}

/**
 * Hands jobs to the workers. Enqueueing is idempotent (the queue entry's id is the job's id), so the API, a retry
 * and the reconciler may all enqueue the same job: it runs once at a time.
 */
export abstract class ExportQueue {
  abstract enqueue(ref: ExportJobRef): Promise<void>;
  /** Whether the queue still holds an entry for the job (waiting, delayed, active or finished but kept). */
  abstract contains(jobId: string): Promise<boolean>;
  /**
   * Whether the queue holds an entry that will still run the job: waiting, delayed or active. A finished entry
   * (completed or failed, kept for inspection) or none at all is not live.
   */
  abstract isLive(jobId: string): Promise<boolean>;
  /**
   * Enqueues a job whose entry is not live. A finished entry is removed first, since an enqueue under its id would be
   * a no-op; an entry that turned live meanwhile (another worker requeued it) is left as it is. Idempotent.
   */
  abstract requeue(ref: ExportJobRef): Promise<void>;
}
