import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';

/** Makes a new job that runs a failed or cancelled export again; the result is the new job's id. */
export class RetryExportJobCommand extends Command<{ id: string }> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
