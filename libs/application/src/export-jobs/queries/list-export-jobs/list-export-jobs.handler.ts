import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { canListAllExportJobsOfTenant } from '@app/domain';
import { Clock } from '../../../ports/clock';
import { ExportJobReadModel } from '../../../ports/export-job.read-model';
import { exportJobDetails } from '../export-job-details';
import { type ExportJobList, ListExportJobsQuery } from './list-export-jobs.query';

/** Newest first: every job of the tenant for an export admin, the caller's own jobs for anyone else. */
@QueryHandler(ListExportJobsQuery)
export class ListExportJobsHandler implements IQueryHandler<ListExportJobsQuery> {
  constructor(
    private readonly readModel: ExportJobReadModel,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, page }: ListExportJobsQuery): Promise<ExportJobList> {
    const requestedById = canListAllExportJobsOfTenant(actor) ? null : actor.userId;
    const found = await this.readModel.list(actor.tenantId, { requestedById, ...page });
    const now = this.clock.now();
    return {
      items: found.items.map((job) => exportJobDetails(job, actor, now)),
      nextCursor: found.nextCursor,
    };
  }
}
