import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { canRetryExportJob, canSeeExportJob, DomainError, exportSourceDefinition } from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { ExportQueue } from '../../../ports/export-queue';
import { ExportRequestSettings } from '../../../ports/export-request-settings';
import { exportJobDetails, exportJobView } from '../../queries/export-job-details';
import { TooManyActiveExportJobsError } from '../create-export-job/create-export-job.errors';
import { RetryExportJobCommand, type RetryExportJobResult } from './retry-export-job.command';

/**
 * Retry: whoever may manage the job (its requester still holding ImportExportTickets, or an export admin of the
 * tenant) runs it again as a new job of their own. A retry is a new request of the job's source, so the source's
 * request rule is checked again too: a requester who lost `isAdmin` but kept the permission may not get a fresh
 * audit log through a retry of an old job.
 */
@CommandHandler(RetryExportJobCommand)
export class RetryExportJobHandler implements ICommandHandler<RetryExportJobCommand> {
  private readonly logger = new Logger(RetryExportJobHandler.name);

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly queue: ExportQueue,
    private readonly clock: Clock,
    private readonly settings: ExportRequestSettings,
  ) {}

  async execute({ context, jobId }: RetryExportJobCommand): Promise<RetryExportJobResult> {
    const { actor } = context;
    const original = await this.jobs.findById(actor.tenantId, jobId);
    if (!original || !canSeeExportJob(actor, original)) throw new ResourceNotFoundError('EXPORT_JOB', jobId);
    if (!canRetryExportJob(actor, original))
      throw new AccessDeniedError('Retrying this export needs the Import / Export Tickets permission.');
    const source = exportSourceDefinition(original.source);
    if (!source.canRequest(actor)) throw new AccessDeniedError(source.requestDeniedMessage);
    const now = this.clock.now();
    const job = original.retry({
      id: randomUUID(),
      now,
      requestedBy: { id: actor.userId, email: actor.email },
    });
    const added = await this.jobs.add(job, {
      audit: [
        {
          tenantId: actor.tenantId,
          actorId: actor.userId,
          action: 'export.retried',
          jobId: job.id,
          ip: context.ip,
          userAgent: context.userAgent,
          details: { retryOf: original.id },
        },
      ],
      maxActivePerRequester: this.settings.maxActivePerRequester,
      idempotentSince: now,
    });
    if (added.outcome === 'duplicate') {
      // Retried already (the repository's fence on the original): that retry is the answer.
      if (!canSeeExportJob(actor, added.existing))
        throw new DomainError('EXPORT_JOB.NOT_RETRYABLE', 'This export was already retried.');
      return { details: exportJobDetails(exportJobView(added.existing), actor, now), created: false };
    }
    if (added.outcome !== 'added')
      throw new TooManyActiveExportJobsError(
        this.settings.maxActivePerRequester,
        this.settings.retryAfterSeconds,
      );
    try {
      await this.queue.enqueue({ tenantId: job.tenantId, jobId: job.id });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `export job ${job.id} is saved but not enqueued (${reason}); the reconciler will enqueue it`,
      );
    }
    return { details: exportJobDetails(exportJobView(job), actor, now), created: true };
  }
}
