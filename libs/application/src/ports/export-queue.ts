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
}
