import type { SizeEstimatedFormat } from '@app/domain';
import { Query } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';
import type { ExportJobRequestInput } from '../../export-request-of-actor';

export interface ExportEstimate {
  readonly rows: number;
  /** False when `rows` is the planner's estimate: counting would have taken too long. */
  readonly rowsExact: boolean;
  /** The file's size in bytes, in every format the service writes but PDF (SIZE_ESTIMATED_FORMATS). */
  readonly bytes: Readonly<Record<SizeEstimatedFormat, number>>;
  /** How long the export would run once started, from the service's recent throughput (whole seconds, >= 1). */
  readonly seconds: number;
}

/** POST /export-jobs/estimate: the body of POST /export-jobs (`notify` included, validated alike); creates nothing. */
export class EstimateExportQuery extends Query<ExportEstimate> {
  constructor(
    readonly context: CallContext,
    readonly input: ExportJobRequestInput,
  ) {
    super();
  }
}
