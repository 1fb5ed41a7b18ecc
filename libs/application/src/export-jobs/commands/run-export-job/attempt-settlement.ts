import { Logger } from '@nestjs/common';
import { ExportTooLargeError, ValidationError } from '@app/domain';
import type { ExportFailureClassifier } from '../../../ports/export-failure-classifier';
import { errorName } from './error-name';
import type { JobWriter, StopReason } from './progress-reporter';
import {
  AttemptTimedOutError,
  LostAttemptError,
  RetryableExportError,
  type RunExportJobOutcome,
} from './run-export-job.command';

/** What ended an attempt that did not complete. */
export type AttemptEnd =
  StopReason | 'invalid-query' | 'too-large' | 'timed-out' | 'permanent' | 'exhausted' | 'transient';

/** What becomes of the job, and what the attempt answers the queue. */
type Settlement =
  /** Someone else already decided the job's state: nothing to write. */
  | { readonly job: 'leave'; readonly outcome: 'cancelled' | 'skipped' }
  /** Back to `queued`: for another worker (`released`) or for the queue's retry with backoff (`retry`). */
  | { readonly job: 'release'; readonly outcome: 'released' | 'retry' }
  /** `failed`, with a code and a message safe to show the user (no stack, no SQL). */
  | {
      readonly job: 'fail';
      readonly code: string;
      readonly message: (error: unknown, attempts: number) => string;
    };

/** The one table of how an attempt that did not complete ends. */
export const SETTLEMENTS: Readonly<Record<AttemptEnd, Settlement>> = {
  cancelled: { job: 'leave', outcome: 'cancelled' },
  superseded: { job: 'leave', outcome: 'skipped' },
  shutdown: { job: 'release', outcome: 'released' },
  transient: { job: 'release', outcome: 'retry' },
  'invalid-query': {
    job: 'fail',
    code: 'EXPORT_JOB.INVALID_QUERY',
    message: (error) =>
      `The view or filters of this export are no longer valid: ${error instanceof Error ? error.message : ''}`,
  },
  // Not retried: the count is of the job's snapshot, so another attempt would count the same. The message names the
  // cap and points to CSV.
  'too-large': {
    job: 'fail',
    code: 'EXPORT_JOB.TOO_LARGE',
    message: (error) => (error instanceof ExportTooLargeError ? error.message : ''),
  },
  // Not retried: an export that outran EXPORT_ATTEMPT_TIMEOUT_S once would most likely outrun it again.
  'timed-out': {
    job: 'fail',
    code: 'EXPORT_JOB.TIMED_OUT',
    message: (error) =>
      `The export took longer than the ${error instanceof AttemptTimedOutError ? Math.round(error.timeoutMs / 1000) : ''} s allowed and was stopped. Narrow the filters or try again later.`,
  },
  permanent: {
    job: 'fail',
    code: 'EXPORT_JOB.FAILED',
    message: () => 'The export failed and cannot succeed as requested. Please contact support.',
  },
  exhausted: {
    job: 'fail',
    code: 'EXPORT_JOB.FAILED',
    message: (_error, attempts) => `The export failed after ${attempts} attempts. Please try again later.`,
  },
};

/** Ends an attempt that did not complete: stopped from outside, or failed (retried while attempts are left). */
export class AttemptSettlement {
  private readonly logger = new Logger(AttemptSettlement.name);

  constructor(
    private readonly classifier: ExportFailureClassifier,
    private readonly maxAttempts: number,
  ) {}

  /** Which row of SETTLEMENTS an attempt falls in; `stopped` wins over the error the stop caused. */
  end(error: unknown, stopped: StopReason | null, attempts: number): AttemptEnd {
    if (stopped) return stopped;
    if (error instanceof ValidationError) return 'invalid-query';
    if (error instanceof ExportTooLargeError) return 'too-large';
    if (error instanceof AttemptTimedOutError) return 'timed-out';
    if (error instanceof LostAttemptError) return 'exhausted';
    if (!this.classifier.isTransient(error)) return 'permanent';
    return attempts >= this.maxAttempts ? 'exhausted' : 'transient';
  }

  /** Throws RetryableExportError for a transient failure with attempts left, once the job is back to `queued`. */
  async settle(writer: JobWriter, error: unknown, stopped: StopReason | null): Promise<RunExportJobOutcome> {
    const { job } = writer;
    const { tenantId, id, attempts } = job.toSnapshot();
    const end = this.end(error, stopped, attempts);
    if (stopped === null)
      this.logger.warn({ jobId: id, attempt: attempts, err: error }, 'export attempt failed');
    const settlement = SETTLEMENTS[end];
    switch (settlement.job) {
      case 'leave':
        return settlement.outcome;
      case 'release':
        job.release(settlement.outcome === 'released' ? 'shutdown' : 'retry');
        await writer.save();
        if (settlement.outcome === 'retry') throw new RetryableExportError(errorName(error));
        return settlement.outcome;
      case 'fail': {
        const failure = { code: settlement.code, message: settlement.message(error, attempts) };
        job.fail(failure);
        await writer.save({
          audit: [
            {
              tenantId,
              actorId: null,
              action: 'export.failed',
              jobId: id,
              details: { code: failure.code, attempts, cause: errorName(error) },
            },
          ],
        });
        return 'failed';
      }
    }
  }
}
