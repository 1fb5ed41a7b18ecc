import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';

export class CancelExportJobCommand extends Command<{ id: string }> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
