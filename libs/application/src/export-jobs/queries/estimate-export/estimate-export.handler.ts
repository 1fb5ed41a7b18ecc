import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type ExportFormat, resolveMe, ValidationError } from '@app/domain';
import { Clock } from '../../../ports/clock';
import { ExportEstimator } from '../../../ports/export-estimator';
import { ExportJobStatistics } from '../../../ports/export-job.statistics';
import { ExportRequestSettings } from '../../../ports/export-request-settings';
import { TicketViewRepository } from '../../../ports/ticket-view.repository';
import { exportRequestOfActor, requireExportSource } from '../../export-request-of-actor';
import { EstimateExportQuery, type ExportEstimate } from './estimate-export.query';

/** How many recent exports the throughput is taken from. */
export const THROUGHPUT_SAMPLE_JOBS = 50;
/** Below this many recent exports of the requested format, all formats count. */
const MIN_JOBS_OF_FORMAT = 3;
/** Without history: about what `npm run bench` measured end to end on 2 cores (CSV, local disk). */
export const DEFAULT_ROWS_PER_SECOND = 50_000;

/**
 * Same body, validation and permission as creating a job; creates nothing and writes no audit row (it changes
 * nothing and shows no more than the ticket list does; the SPA may ask on every change of the filters).
 */
@QueryHandler(EstimateExportQuery)
export class EstimateExportHandler implements IQueryHandler<EstimateExportQuery> {
  constructor(
    private readonly views: TicketViewRepository,
    private readonly estimator: ExportEstimator,
    private readonly statistics: ExportJobStatistics,
    private readonly clock: Clock,
    private readonly settings: ExportRequestSettings,
  ) {}

  async execute({ context, input }: EstimateExportQuery): Promise<ExportEstimate> {
    const { actor } = context;
    const { key } = requireExportSource(actor, input.source);
    if (key !== 'tickets')
      throw new ValidationError([
        { field: 'source', message: `estimates are of ticket exports only, not ${key}` },
      ]);
    const { format, query } = await exportRequestOfActor(this.views, actor, input, this.settings);
    const [size, rowsPerSecond] = await Promise.all([
      this.estimator.estimate({
        tenantId: actor.tenantId,
        requesterId: actor.userId,
        now: this.clock.now(),
        query: resolveMe(query, actor.userId),
      }),
      this.rowsPerSecond(format),
    ]);
    return { ...size, seconds: Math.max(1, Math.ceil(size.rows / rowsPerSecond)) };
  }

  /** Rows per second of the last exports (of this format when there are enough), weighted by their size. */
  private async rowsPerSecond(format: ExportFormat): Promise<number> {
    let recent = await this.statistics.recentThroughput(THROUGHPUT_SAMPLE_JOBS, format);
    if (recent.jobs < MIN_JOBS_OF_FORMAT)
      recent = await this.statistics.recentThroughput(THROUGHPUT_SAMPLE_JOBS);
    return recent.jobs > 0 && recent.rows > 0 && recent.seconds > 0
      ? recent.rows / recent.seconds
      : DEFAULT_ROWS_PER_SECOND;
  }
}
