import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { canCancelExportJob, canSeeExportJob, ConcurrentUpdateError } from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { type ExportJobDetails, exportJobDetails, exportJobView } from '../../queries/export-job-details';
import { CancelExportJobCommand } from './cancel-export-job.command';

/** A cancel racing the worker's progress writes loses the optimistic check; it reloads and tries again. */
const ATTEMPTS = 3;

@CommandHandler(CancelExportJobCommand)
export class CancelExportJobHandler implements ICommandHandler<CancelExportJobCommand> {
  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ context, jobId }: CancelExportJobCommand): Promise<ExportJobDetails> {
    const { actor } = context;
    for (let attempt = 1; ; attempt += 1) {
      const job = await this.jobs.findById(actor.tenantId, jobId);
      if (!job || !canSeeExportJob(actor, job)) throw new ResourceNotFoundError('EXPORT_JOB', jobId);
      if (!canCancelExportJob(actor, job))
        throw new AccessDeniedError('Cancelling this export needs the Import / Export Tickets permission.');
      const from = job.status.value;
      job.cancel();
      try {
        await this.jobs.save(job, {
          audit: [
            {
              tenantId: actor.tenantId,
              actorId: actor.userId,
              action: 'export.cancelled',
              jobId: job.id,
              ip: context.ip,
              userAgent: context.userAgent,
              details: { from },
            },
          ],
        });
        return exportJobDetails(exportJobView(job), actor, this.clock.now());
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS) throw error;
      }
    }
  }
}
