import { Command } from '@nestjs/cqrs';

/**
 * How an attempt ended: `skipped` (nothing to do: finished, cancelled or taken over by another attempt),
 * `released` (handed back to the queue on shutdown), or the job's new final status.
 */
export type RunExportJobOutcome = 'completed' | 'cancelled' | 'failed' | 'skipped' | 'released';

/** Runs one attempt of an export job; throws RetryableExportError when the queue should try again later. */
export class RunExportJobCommand extends Command<RunExportJobOutcome> {
  constructor(
    readonly tenantId: string,
    readonly jobId: string,
    /** Aborted when the worker shuts down: the attempt stops and releases the job for another worker. */
    readonly shutdown?: AbortSignal,
  ) {
    super();
  }
}

/** A transient failure with attempts left: the job is back to `queued` and the queue retries it with backoff. */
export class RetryableExportError extends Error {
  constructor(readonly causeName: string) {
    super(`export attempt failed (${causeName}); it will be retried`);
    this.name = 'RetryableExportError';
  }
}

/** An attempt still running past EXPORT_ATTEMPT_TIMEOUT_S: it stops, and the job fails with EXPORT_JOB.TIMED_OUT. */
export class AttemptTimedOutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`export attempt stopped after ${timeoutMs} ms (EXPORT_ATTEMPT_TIMEOUT_S)`);
    this.name = 'AttemptTimedOutError';
  }
}

/**
 * A delivery of a job still `running` whose attempts are all spent: its last attempt was lost (its worker died, or
 * it could not record how it ended). No attempt is left to run: the job fails as exhausted.
 */
export class LostAttemptError extends Error {
  constructor() {
    super('the last attempt of this export was lost');
    this.name = 'LostAttemptError';
  }
}
