import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobRequestInput } from '../../export-request-of-actor';
import type { ExportJobDetails } from '../../queries/export-job-details';

/**
 * The body of POST /export-jobs, its JSON shape already checked at the edge; the handler parses what it means, once,
 * with the domain's parseExportRequest.
 */
export type CreateExportJobInput = ExportJobRequestInput;

export interface CreateExportJobResult {
  /** The job as it was saved (or, for a replay, as it is now). */
  readonly details: ExportJobDetails;
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
