import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobDetails } from '../../queries/export-job-details';

/** Makes a new job that runs a failed or cancelled export again; the result is the new job, as saved. */
export class RetryExportJobCommand extends Command<ExportJobDetails> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
