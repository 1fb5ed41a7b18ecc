import type { ExportJobQuery, SizeEstimatedFormat } from '@app/domain';

export interface ExportEstimateRequest {
  readonly tenantId: string;
  /** The requester: what `@me` means. */
  readonly requesterId: string;
  /** As if the export were requested now: tickets created later, or deleted by now, do not count. */
  readonly now: Date;
  readonly query: ExportJobQuery;
}

export interface RowsAndBytes {
  /** The rows an export requested now would hold: counted, or the planner's estimate when counting takes too long. */
  readonly rows: number;
  readonly rowsExact: boolean;
  /** The file's size in every format but PDF, from a sample of the rows written by the export's own encoders. */
  readonly bytes: Readonly<Record<SizeEstimatedFormat, number>>;
}

/**
 * How big an export would be, without running it. Answers quickly whatever the size (CONTRACT: within 500 ms for
 * 1M tickets): a count that would take longer gives way to the planner's estimate (`rowsExact: false`).
 */
export abstract class ExportEstimator {
  abstract estimate(request: ExportEstimateRequest): Promise<RowsAndBytes>;
}
