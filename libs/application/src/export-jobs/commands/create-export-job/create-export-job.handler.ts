import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  type Actor,
  checkRowCap,
  ExportJob,
  type ExportFormat,
  resolveMe,
  rowCapOf,
  type TicketExportQuery,
  ticketQueryOf,
} from '@app/domain';
import { Clock } from '../../../ports/clock';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { ExportQueue } from '../../../ports/export-queue';
import { ExportRequestSettings } from '../../../ports/export-request-settings';
import { TicketCounter } from '../../../ports/ticket-counter';
import { TicketViewRepository } from '../../../ports/ticket-view.repository';
import { exportRequestOfActor, requireExportSource } from '../../export-request-of-actor';
import { exportJobDetails, exportJobView } from '../../queries/export-job-details';
import { CreateExportJobCommand, type CreateExportJobResult } from './create-export-job.command';
import { IdempotencyKeyReusedError, TooManyActiveExportJobsError } from './create-export-job.errors';
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
    private readonly tickets: TicketCounter,
  ) {}

  async execute({ context, input, idempotencyKey }: CreateExportJobCommand): Promise<CreateExportJobResult> {
    const { actor } = context;
    requireExportSource(actor, input.source);
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
      if (earlier) return this.replay(earlier, requestHash, actor, now);
    }
    const {
      source,
      format,
      query: requested,
      notify,
    } = await exportRequestOfActor(this.views, actor, input, this.settings);
    // `@me` is the requester, fixed now: a retry by anyone, or a worker, exports the same rows.
    const query = resolveMe(requested, actor.userId);
    if (source === 'tickets') await this.checkRowCap(actor, format, ticketQueryOf(query), now);
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
      notify,
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
          details: {
            source,
            format,
            viewId: query.viewId,
            ...(query.ticketIds ? { selectedTickets: query.ticketIds.length } : {}),
            ...(notify.length > 0 ? { notify } : {}),
          },
        },
      ],
      maxActivePerRequester: this.settings.maxActivePerRequester,
      idempotentSince,
    });
    if (added.outcome === 'duplicate') return this.replay(added.existing, requestHash, actor, now);
    if (added.outcome === 'too-many-active')
      throw new TooManyActiveExportJobsError(
        this.settings.maxActivePerRequester,
        this.settings.retryAfterSeconds,
      );
    await this.enqueue(job);
    return { details: exportJobDetails(exportJobView(job), actor, now), created: true };
  }

  /**
   * A format with a row cap refuses, before a job exists, a request whose rows are cheap to count and too many.
   * When the count is not cheap, the job is created and fails at `counting` instead (the worker counts anyway).
   * Other sources are counted by the worker only: their jobs meet the cap at `counting`.
   */
  private async checkRowCap(
    actor: Actor,
    format: ExportFormat,
    query: TicketExportQuery,
    now: Date,
  ): Promise<void> {
    const cap = rowCapOf(this.settings.maxRowsByFormat, format);
    if (cap === null) return;
    const rows = await this.tickets.countAtMost(
      { tenantId: actor.tenantId, me: actor.userId, query, timezone: query.timezone, now },
      cap + 1,
    );
    if (rows !== null) checkRowCap(this.settings.maxRowsByFormat, format, rows);
  }

  /** The job an earlier request with this key made, as it is now; the same key with another body is refused. */
  private replay(job: ExportJob, requestHash: string | null, actor: Actor, now: Date): CreateExportJobResult {
    if (job.toSnapshot().requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    return { details: exportJobDetails(exportJobView(job), actor, now), created: false };
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
