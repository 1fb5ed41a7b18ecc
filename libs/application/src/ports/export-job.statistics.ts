import type { ExportJobStatusValue } from '@app/domain';

/** A job that reached `completed`, as the metrics count it. */
export interface FinishedExport {
  readonly id: string;
  readonly completedAt: Date;
  readonly format: string;
  /** From the attempt's start to completion. */
  readonly durationSeconds: number;
  readonly rowCount: number;
}

export interface FinishedExportsPage {
  readonly items: readonly FinishedExport[];
  /** Pass back to continue after the last item. */
  readonly watermark: string | null;
}

/** Rows and seconds (attempt start to completion) summed over the most recent completed exports. */
export interface ExportThroughput {
  readonly jobs: number;
  readonly rows: number;
  readonly seconds: number;
}

/** Service-wide numbers for operators (GET /metrics), across all tenants. */
export abstract class ExportJobStatistics {
  abstract countByStatus(): Promise<Readonly<Record<ExportJobStatusValue, number>>>;
  /** Jobs completed after the watermark (or after `since` without one), oldest first. */
  abstract completedAfter(since: Date, watermark: string | null, limit: number): Promise<FinishedExportsPage>;
  /** The last `limit` completed exports (of `format` when given; expired ones count), newest first, summed. */
  abstract recentThroughput(limit: number, format?: string): Promise<ExportThroughput>;
}
