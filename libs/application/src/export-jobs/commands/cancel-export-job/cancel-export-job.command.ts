import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobDetails } from '../../queries/export-job-details';

/** Cancels a queued or running job; the result is the job as the cancel left it. */
export class CancelExportJobCommand extends Command<ExportJobDetails> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
