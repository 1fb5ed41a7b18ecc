import { DomainError } from '../errors/domain-error';
import type { SourceQuery } from '../export-sources/export-source-definition';
import type { ExportSource } from '../export-sources/registry';
import { resolveMe } from '../tickets/ticket-query';
import type { ExportFormat } from './export-format';
import type { NotifyChannel } from './export-notify';
import { type ExportJobStage, ExportJobStatus, type ExportJobStatusValue } from './export-job-status';

/**
 * Everything the worker needs to reproduce the rows the user asked for, frozen at request time: for tickets the
 * list the user saw (a TicketQuery), for other sources their columns, filters and sort.
 */
export interface ExportJobQuery extends SourceQuery {
  readonly viewId: string | null;
  readonly viewName: string | null;
  readonly timezone: string;
  readonly fileName: string | null;
}

export interface ExportedFile {
  readonly storedFileId: string;
  readonly name: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly rowCount: number;
}

/** What a user may see of a failure: a stable code and a message without internals. */
export interface ExportJobFailure {
  readonly code: string;
  readonly message: string;
}

export interface ExportJobProgress {
  readonly percent: number;
  readonly rowsExported: number;
  readonly totalRows: number | null;
}

export interface ExportJobProps {
  readonly id: string;
  readonly tenantId: string;
  readonly requestedById: string;
  readonly requestedByEmail: string;
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly query: ExportJobQuery;
  readonly status: ExportJobStatusValue;
  readonly stage: ExportJobStage | null;
  readonly progress: ExportJobProgress;
  readonly requestedAt: Date;
  readonly snapshotAt: Date | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly attempts: number;
  readonly retryOf: string | null;
  readonly file: ExportedFile | null;
  readonly error: ExportJobFailure | null;
  readonly idempotencyKey: string | null;
  readonly requestHash: string | null;
  /** How the requester is told when the job ends (besides polling). */
  readonly notify: readonly NotifyChannel[];
}

export interface RequestExportJob {
  readonly id: string;
  readonly tenantId: string;
  readonly requestedBy: { readonly id: string; readonly email: string };
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly query: ExportJobQuery;
  readonly now: Date;
  readonly retryOf?: string | null;
  readonly idempotencyKey?: string | null;
  readonly requestHash?: string | null;
  readonly notify?: readonly NotifyChannel[];
}

const HOUR_MS = 3_600_000;

/** Past its retention (ExportJob.isExpiredAt), for read models that hold a job's state without the aggregate. */
export function isExportExpiredAt(
  job: { readonly status: ExportJobStatusValue; readonly expiresAt: Date | null },
  now: Date,
): boolean {
  return job.status === 'expired' || (job.expiresAt !== null && job.expiresAt.getTime() <= now.getTime());
}

/**
 * An export job. State changes only through the named methods below, each checked against the transition table
 * of ExportJobStatus. Progress is monotone: `percent` never goes down and reaches 100 only on completion.
 */
export class ExportJob {
  private constructor(private props: ExportJobProps) {}

  static request(input: RequestExportJob): ExportJob {
    return new ExportJob({
      id: input.id,
      tenantId: input.tenantId,
      requestedById: input.requestedBy.id,
      requestedByEmail: input.requestedBy.email,
      source: input.source,
      format: input.format,
      query: input.query,
      status: 'queued',
      stage: 'queued',
      progress: { percent: 0, rowsExported: 0, totalRows: null },
      requestedAt: input.now,
      snapshotAt: null,
      startedAt: null,
      completedAt: null,
      expiresAt: null,
      attempts: 0,
      retryOf: input.retryOf ?? null,
      file: null,
      error: null,
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash: input.requestHash ?? null,
      notify: input.notify ?? [],
    });
  }

  /** Rebuilds a job from storage; no checks, the data was valid when written. */
  static restore(props: ExportJobProps): ExportJob {
    return new ExportJob({ ...props });
  }

  /**
   * A new job that runs the same export again; the original stays as it was. Its `@me` stays the original
   * requester's (a job requested before queries were stored resolved may still hold one), whoever retries it.
   */
  retry(input: { id: string; now: Date; requestedBy: { id: string; email: string } }): ExportJob {
    if (this.props.status !== 'failed' && this.props.status !== 'cancelled')
      throw new DomainError(
        'EXPORT_JOB.NOT_RETRYABLE',
        `Only failed or cancelled jobs can be retried; this one is ${this.props.status}.`,
      );
    return ExportJob.request({
      id: input.id,
      tenantId: this.props.tenantId,
      requestedBy: input.requestedBy,
      source: this.props.source,
      format: this.props.format,
      query: resolveMe(this.props.query, this.props.requestedById),
      now: input.now,
      retryOf: this.props.id,
    });
  }

  /** An attempt begins (the first, or one taking over from an attempt that was lost). */
  start(now: Date): void {
    this.moveTo('running');
    this.props = {
      ...this.props,
      stage: 'counting',
      startedAt: this.props.startedAt ?? now,
      attempts: this.props.attempts + 1,
      progress: { ...this.props.progress, rowsExported: 0 },
      error: null,
    };
  }

  enterStage(stage: Exclude<ExportJobStage, 'queued'>): void {
    this.requireStatus('running');
    this.props = { ...this.props, stage };
  }

  /** Records how far the current attempt is; percent only ever grows and stays below 100 until completion. */
  reportProgress(rowsExported: number, totalRows: number | null): void {
    this.requireStatus('running');
    if (!Number.isSafeInteger(rowsExported) || rowsExported < 0)
      throw new DomainError('EXPORT_JOB.INVALID_PROGRESS', 'rowsExported must be a non-negative integer.');
    const computed =
      totalRows && totalRows > 0 ? Math.floor((Math.min(rowsExported, totalRows) * 100) / totalRows) : 0;
    this.props = {
      ...this.props,
      progress: {
        percent: Math.max(this.props.progress.percent, Math.min(99, computed)),
        rowsExported,
        totalRows,
      },
    };
  }

  complete(input: { file: ExportedFile; snapshotAt: Date; now: Date; retentionHours: number }): void {
    this.moveTo('completed');
    this.props = {
      ...this.props,
      stage: null,
      file: input.file,
      snapshotAt: input.snapshotAt,
      completedAt: input.now,
      expiresAt: new Date(input.now.getTime() + input.retentionHours * HOUR_MS),
      progress: { percent: 100, rowsExported: input.file.rowCount, totalRows: input.file.rowCount },
      error: null,
    };
  }

  /**
   * Hands the job back to the queue for another attempt. A transient failure spends the attempt (`retry`); a
   * worker's shutdown hands it back unspent (`shutdown`): the attempt did not fail, so restarting workers never
   * brings a job closer to EXPORT_MAX_ATTEMPTS.
   */
  release(reason: 'retry' | 'shutdown' = 'retry'): void {
    this.moveTo('queued');
    const attempts = reason === 'shutdown' ? Math.max(0, this.props.attempts - 1) : this.props.attempts;
    this.props = { ...this.props, stage: 'queued', attempts };
  }

  fail(error: ExportJobFailure): void {
    this.moveTo('failed');
    this.props = { ...this.props, stage: null, error };
  }

  cancel(): void {
    this.moveTo('cancelled');
    this.props = { ...this.props, stage: null };
  }

  expire(): void {
    this.moveTo('expired');
    this.props = { ...this.props, stage: null };
  }

  /** Past its retention: downloads are refused from this moment, even before the cleanup has run. */
  isExpiredAt(now: Date): boolean {
    return isExportExpiredAt(this.props, now);
  }

  get id(): string {
    return this.props.id;
  }
  get tenantId(): string {
    return this.props.tenantId;
  }
  get requestedById(): string {
    return this.props.requestedById;
  }
  get source(): ExportSource {
    return this.props.source;
  }
  get status(): ExportJobStatus {
    return ExportJobStatus.of(this.props.status);
  }

  /** A read-only copy for persistence and read models. */
  toSnapshot(): ExportJobProps {
    return { ...this.props };
  }

  private moveTo(next: ExportJobStatusValue): void {
    this.props = { ...this.props, status: this.status.transitionTo(next).value };
  }

  private requireStatus(expected: ExportJobStatusValue): void {
    if (this.props.status !== expected)
      throw new DomainError(
        'EXPORT_JOB.INVALID_TRANSITION',
        `The job is ${this.props.status}, not ${expected}.`,
      );
  }
}
