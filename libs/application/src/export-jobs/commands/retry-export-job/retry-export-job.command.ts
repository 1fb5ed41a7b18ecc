import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobDetails } from '../../queries/export-job-details';

export interface RetryExportJobResult {
  /** The new job as it was saved, or the job an earlier retry of the same job made. */
  readonly details: ExportJobDetails;
  /** False when the job was already retried (a concurrent or repeated request): `details` is that retry. */
  readonly created: boolean;
}

/**
 * Makes a new job that runs a failed or cancelled export again. A job is retried once: a second retry, concurrent or
 * later, gets the first one's job back (or EXPORT_JOB.NOT_RETRYABLE when the caller may not see that job).
 */
export class RetryExportJobCommand extends Command<RetryExportJobResult> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
