import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';

/** The body of POST /export-jobs as received; the handler validates every field (CONTRACT §5). */
export interface CreateExportJobInput {
  readonly source?: unknown;
  readonly viewId?: unknown;
  readonly format?: unknown;
  readonly columns?: unknown;
  readonly filters?: unknown;
  readonly sort?: unknown;
  readonly search?: unknown;
  readonly timezone?: unknown;
  readonly fileName?: unknown;
}

export interface CreateExportJobResult {
  readonly id: string;
  /** False when an earlier request with the same idempotency key and body made the job. */
  readonly created: boolean;
}

export class CreateExportJobCommand extends Command<CreateExportJobResult> {
  constructor(
    readonly context: CallContext,
    readonly input: CreateExportJobInput,
    readonly idempotencyKey: string | null = null,
  ) {
    super();
  }
}
