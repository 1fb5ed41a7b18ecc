import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { canSeeExportJob } from '@app/domain';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { ExportJobReadModel } from '../../../ports/export-job.read-model';
import { type ExportJobDetails, exportJobDetails, ownerOf } from '../export-job-details';
import { GetExportJobByIdQuery } from './get-export-job-by-id.query';

/** A job its requester or an export admin of its tenant may see; for anyone else it does not exist. */
@QueryHandler(GetExportJobByIdQuery)
export class GetExportJobByIdHandler implements IQueryHandler<GetExportJobByIdQuery> {
  constructor(
    private readonly readModel: ExportJobReadModel,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, jobId }: GetExportJobByIdQuery): Promise<ExportJobDetails> {
    const job = await this.readModel.findById(actor.tenantId, jobId);
    if (!job || !canSeeExportJob(actor, ownerOf(job))) throw new ResourceNotFoundError('EXPORT_JOB', jobId);
    return exportJobDetails(job, actor, this.clock.now());
  }
}
