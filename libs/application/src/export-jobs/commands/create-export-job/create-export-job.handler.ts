import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { canRequestExport, ExportJob, type FieldError, isUuid } from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import type { CallContext } from '../../../auth/call-context';
import { Clock } from '../../../ports/clock';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { ExportQueue } from '../../../ports/export-queue';
import { ExportRequestSettings } from '../../../ports/export-request-settings';
import { type TicketViewRecord, TicketViewRepository } from '../../../ports/ticket-view.repository';
import { CreateExportJobCommand, type CreateExportJobResult } from './create-export-job.command';
import { IdempotencyKeyReusedError, TooManyActiveExportJobsError } from './create-export-job.errors';
import { parseExportRequest } from './parse-export-request';
import { requestFingerprint } from './request-fingerprint';

/** How long an Idempotency-Key binds a user's request to its job. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

@CommandHandler(CreateExportJobCommand)
export class CreateExportJobHandler implements ICommandHandler<CreateExportJobCommand> {
  private readonly logger = new Logger(CreateExportJobHandler.name);

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly views: TicketViewRepository,
    private readonly queue: ExportQueue,
    private readonly clock: Clock,
    private readonly settings: ExportRequestSettings,
  ) {}

  async execute({ context, input, idempotencyKey }: CreateExportJobCommand): Promise<CreateExportJobResult> {
    const { actor } = context;
    if (!canRequestExport(actor))
      throw new AccessDeniedError('Exporting tickets needs the Import / Export Tickets permission.');
    const now = this.clock.now();
    const idempotentSince = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
    const requestHash = idempotencyKey === null ? null : requestFingerprint(input);
    if (idempotencyKey !== null) {
      const earlier = await this.jobs.findByIdempotencyKey(
        actor.tenantId,
        actor.userId,
        idempotencyKey,
        idempotentSince,
      );
      if (earlier) return replay(earlier, requestHash);
    }
    const viewIdError = viewIdProblem(input.viewId);
    const view = viewIdError ? null : await this.findView(context, input.viewId);
    const { source, format, query } = parseExportRequest(input, view, viewIdError ? [viewIdError] : []);
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: actor.tenantId,
      requestedBy: { id: actor.userId, email: actor.email },
      source,
      format,
      query,
      now,
      idempotencyKey,
      requestHash,
    });
    const added = await this.jobs.add(job, {
      audit: [
        {
          tenantId: actor.tenantId,
          actorId: actor.userId,
          action: 'export.requested',
          jobId: job.id,
          ip: context.ip,
          userAgent: context.userAgent,
          details: { source, format, viewId: query.viewId },
        },
      ],
      maxActivePerRequester: this.settings.maxActivePerRequester,
      idempotentSince,
    });
    if (added.outcome === 'duplicate') return replay(added.existing, requestHash);
    if (added.outcome === 'too-many-active')
      throw new TooManyActiveExportJobsError(
        this.settings.maxActivePerRequester,
        this.settings.retryAfterSeconds,
      );
    await this.enqueue(job);
    return { id: job.id, created: true };
  }

  private async findView({ actor }: CallContext, viewId: unknown): Promise<TicketViewRecord | null> {
    if (typeof viewId !== 'string') return null;
    const view = await this.views.findUsable(actor.tenantId, actor.userId, viewId);
    if (!view) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
    return view;
  }

  /** The job is saved and queued in PostgreSQL; if Redis is away the worker's reconciler enqueues it later. */
  private async enqueue(job: ExportJob): Promise<void> {
    try {
      await this.queue.enqueue({ tenantId: job.tenantId, jobId: job.id });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `export job ${job.id} is saved but not enqueued (${reason}); the reconciler will enqueue it`,
      );
    }
  }
}

function viewIdProblem(viewId: unknown): FieldError | null {
  if (viewId === undefined || viewId === null || (typeof viewId === 'string' && isUuid(viewId))) return null;
  return { field: 'viewId', message: 'must be a view id (UUID)' };
}

function replay(job: ExportJob, requestHash: string | null): CreateExportJobResult {
  if (job.toSnapshot().requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  return { id: job.id, created: false };
}
