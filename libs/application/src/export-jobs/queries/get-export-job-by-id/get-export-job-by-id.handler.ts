import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { ExportJobReadModel } from '../../../ports/export-job.read-model';
import { type ExportJobDetails, readableExportJob } from '../export-job-details';
import { GetExportJobByIdQuery } from './get-export-job-by-id.query';

/** A job its requester or an export admin of its tenant may see; for anyone else it does not exist. */
@QueryHandler(GetExportJobByIdQuery)
export class GetExportJobByIdHandler implements IQueryHandler<GetExportJobByIdQuery> {
  constructor(
    private readonly readModel: ExportJobReadModel,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, jobId }: GetExportJobByIdQuery): Promise<ExportJobDetails> {
    const details = readableExportJob(
      await this.readModel.findById(actor.tenantId, jobId),
      actor,
      this.clock.now(),
    );
    if (!details) throw new ResourceNotFoundError('EXPORT_JOB', jobId);
    return details;
  }
}
