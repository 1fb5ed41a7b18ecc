import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { canSeeExportJob } from '@app/domain';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { type ExportJobDetails, exportJobDetails } from '../export-job-details';
import { GetExportJobByIdQuery } from './get-export-job-by-id.query';

/** A job its requester or an export admin of its tenant may see; for anyone else it does not exist. */
@QueryHandler(GetExportJobByIdQuery)
export class GetExportJobByIdHandler implements IQueryHandler<GetExportJobByIdQuery> {
  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, jobId }: GetExportJobByIdQuery): Promise<ExportJobDetails> {
    const job = await this.jobs.findById(actor.tenantId, jobId);
    if (!job || !canSeeExportJob(actor, job)) throw new ResourceNotFoundError('EXPORT_JOB', jobId);
    return exportJobDetails(job, actor, this.clock.now());
  }
}
