import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobDetails } from '../../queries/export-job-details';

/**
 * The body of POST /export-jobs, its JSON shape already checked at the edge. What the values mean (known source,
 * format, columns, fields and operators, time zone, file name) is checked by the handler's one parse, with the
 * domain's parsers, which name every bad field at once (`columns[2]`, `filters.and[0].operator`). JSON null means
 * absent, as in the contract.
 */
export interface CreateExportJobInput {
  readonly source?: string | null;
  readonly viewId?: string | null;
  readonly format?: string | null;
  /** Column keys; the domain names each one that is unknown, repeated or not a string. */
  readonly columns?: readonly unknown[] | null;
  /** A condition group `{ and, or }`, ANDed with the view's conditions. */
  readonly filters?: Readonly<Record<string, unknown>> | null;
  /** Sort levels `{ field, direction }`, replacing the view's sort. */
  readonly sort?: readonly unknown[] | null;
  readonly search?: string | null;
  readonly timezone?: string | null;
  readonly fileName?: string | null;
}

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
