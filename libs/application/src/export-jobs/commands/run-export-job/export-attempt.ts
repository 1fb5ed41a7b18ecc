import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Logger } from '@nestjs/common';
import {
  DomainError,
  exportFileName,
  exportObjectKey,
  type ExportJob,
  findTicketColumn,
  FORMAT_FILE_TYPES,
  type TicketColumn,
  ValidationError,
} from '@app/domain';
import type { ExportEngineSettings } from '../../../ports/export-engine-settings';
import type { ExportFailureClassifier } from '../../../ports/export-failure-classifier';
import type { ExportFileEncoder } from '../../../ports/export-file-encoder';
import type { ExportJobRepository } from '../../../ports/export-job.repository';
import type { FileStorage, ObjectUpload, StoredObject } from '../../../ports/file-storage';
import type {
  ExportRowStream,
  TicketExportReader,
  TicketExportSnapshot,
} from '../../../ports/ticket-export-reader';
import type { UploadJournal } from '../../../ports/upload-journal';
import type { Clock } from '../../../ports/clock';
import { DigestStream } from './digest-stream';
import { RetryableExportError, type RunExportJobOutcome } from './run-export-job.command';

export interface ExportAttemptDeps {
  readonly jobs: ExportJobRepository;
  readonly reader: TicketExportReader;
  readonly encoder: ExportFileEncoder;
  readonly storage: FileStorage;
  readonly journal: UploadJournal;
  readonly classifier: ExportFailureClassifier;
  readonly settings: ExportEngineSettings;
  readonly clock: Clock;
}

/** Why an attempt stopped before its end. */
type StopReason = 'cancelled' | 'superseded' | 'shutdown';

const isConcurrentUpdate = (error: unknown): boolean =>
  error instanceof DomainError && error.code === 'EXPORT_JOB.CONCURRENT_UPDATE';

/**
 * One attempt of one export, from a started job to its final state. The bytes flow in ONE pipeline, back-pressure
 * end to end: snapshot rows -> encoder -> digest -> storage upload. A ticker writes progress every
 * `progressIntervalMs`; a save refused because the job changed (a cancel) stops the pipeline.
 */
export class ExportAttempt {
  private readonly logger = new Logger(ExportAttempt.name);
  private readonly stop = new AbortController();
  private saving: Promise<void> = Promise.resolve();
  private rows: ExportRowStream | null = null;
  private total: number | null = null;

  constructor(
    private readonly deps: ExportAttemptDeps,
    private job: ExportJob,
    shutdown?: AbortSignal,
  ) {
    if (shutdown?.aborted) this.stop.abort('shutdown');
    shutdown?.addEventListener('abort', () => this.stop.abort('shutdown'), { once: true });
  }

  async run(): Promise<RunExportJobOutcome> {
    const job = this.job.toSnapshot();
    let snapshot: TicketExportSnapshot | null = null;
    let upload: ObjectUpload | null = null;
    let stored: StoredObject | null = null;
    const ticker = setInterval(() => void this.tick(), this.deps.settings.progressIntervalMs);
    try {
      await this.abortLeftovers();
      snapshot = await this.deps.reader.open({
        tenantId: job.tenantId,
        requesterId: job.requestedById,
        requestedAt: job.requestedAt,
        query: job.query,
        format: job.format,
      });
      this.total = await snapshot.count();
      this.throwIfStopped();
      this.job.reportProgress(0, this.total);
      this.job.enterStage('exporting');
      await this.persist();
      upload = await this.beginUpload();
      const digest = new DigestStream();
      this.rows = snapshot.rows();
      const columns = job.query.columns
        .map((key) => findTicketColumn(key))
        .filter((c): c is TicketColumn => c !== undefined);
      await pipeline(this.rows, this.deps.encoder.create(job.format, columns), digest, upload.body, {
        signal: this.stop.signal,
      });
      this.job.reportProgress(this.rows.rowsRead, this.total);
      this.job.enterStage('uploading');
      await this.persist();
      stored = await upload.done();
      this.job.enterStage('finalizing');
      clearInterval(ticker);
      await this.complete(stored, digest, this.rows.rowsRead, snapshot.snapshotAt);
      return 'completed';
    } catch (error) {
      clearInterval(ticker);
      await this.discard(upload, stored);
      return await this.settle(error);
    } finally {
      clearInterval(ticker);
      await snapshot?.close();
    }
  }

  /** Uploads that earlier attempts began and never ended (their worker died): aborted before starting over. */
  private async abortLeftovers(): Promise<void> {
    const { journal, storage } = this.deps;
    const attempt = this.job.toSnapshot().attempts;
    for (const upload of await journal.unfinished(this.job.tenantId, this.job.id)) {
      if (upload.attempt === attempt) continue;
      await storage.abortUpload(upload.objectKey, upload.uploadId);
      await journal.finished(upload.uploadId, 'aborted');
      this.logger.log(
        { jobId: this.job.id, uploadId: upload.uploadId, attempt: upload.attempt },
        'aborted the upload of a lost attempt',
      );
    }
  }

  private async beginUpload(): Promise<ObjectUpload> {
    const job = this.job.toSnapshot();
    const key = exportObjectKey(job);
    return this.deps.storage.beginUpload(key, {
      contentType: FORMAT_FILE_TYPES[job.format].contentType,
      fileName: exportFileName(job),
      onStarted: (uploadId) =>
        this.deps.journal.started({
          tenantId: job.tenantId,
          jobId: job.id,
          attempt: job.attempts,
          provider: this.deps.storage.provider,
          objectKey: key,
          uploadId,
        }),
    });
  }

  private async complete(
    stored: StoredObject,
    digest: DigestStream,
    rowCount: number,
    snapshotAt: Date,
  ): Promise<void> {
    const job = this.job.toSnapshot();
    const fileId = randomUUID();
    const name = exportFileName(job);
    const file = {
      storedFileId: fileId,
      name,
      contentType: FORMAT_FILE_TYPES[job.format].contentType,
      sizeBytes: digest.sizeBytes,
      sha256: digest.sha256(),
      rowCount,
    };
    this.job.complete({
      file,
      snapshotAt,
      now: this.deps.clock.now(),
      retentionHours: this.deps.settings.retentionHours,
    });
    await this.persist({
      newFile: {
        id: fileId,
        tenantId: job.tenantId,
        name,
        contentType: file.contentType,
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
        provider: stored.provider,
        bucket: stored.bucket,
        objectKey: stored.key,
      },
      audit: [
        {
          tenantId: job.tenantId,
          actorId: null,
          action: 'export.completed',
          jobId: job.id,
          details: { rows: rowCount, bytes: file.sizeBytes, attempts: job.attempts },
        },
      ],
    });
    await this.finishJournal('completed');
  }

  /** Nothing of a stopped or failed attempt remains in storage. */
  private async discard(upload: ObjectUpload | null, stored: StoredObject | null): Promise<void> {
    try {
      if (stored) await this.deps.storage.delete(stored.key);
      else if (upload) await upload.abort();
      await this.finishJournal('aborted');
    } catch (error) {
      // The journal still lists the upload: the next attempt or the cleanup aborts it.
      this.logger.warn(
        { jobId: this.job.id, err: errorName(error) },
        'could not discard the upload of a stopped attempt',
      );
    }
  }

  private async settle(error: unknown): Promise<RunExportJobOutcome> {
    const reason = this.stop.signal.aborted
      ? (this.stop.signal.reason as StopReason)
      : isConcurrentUpdate(error)
        ? await this.whyChanged()
        : null;
    if (reason === 'cancelled' || reason === 'superseded')
      return reason === 'cancelled' ? 'cancelled' : 'skipped';
    if (reason === 'shutdown') {
      this.job.release();
      await this.persist();
      return 'released';
    }
    const permanent = error instanceof ValidationError || !this.deps.classifier.isTransient(error);
    const exhausted = this.job.toSnapshot().attempts >= this.deps.settings.maxAttempts;
    this.logger.warn(
      { jobId: this.job.id, attempt: this.job.toSnapshot().attempts, err: error },
      'export attempt failed',
    );
    if (!permanent && !exhausted) {
      this.job.release();
      await this.persist();
      throw new RetryableExportError(errorName(error));
    }
    const job = this.job.toSnapshot();
    const failure =
      error instanceof ValidationError
        ? {
            code: 'EXPORT_JOB.INVALID_QUERY',
            message: `The view or filters of this export are no longer valid: ${error.message}`,
          }
        : permanent
          ? {
              code: 'EXPORT_JOB.FAILED',
              message: 'The export failed and cannot succeed as requested. Please contact support.',
            }
          : {
              code: 'EXPORT_JOB.FAILED',
              message: `The export failed after ${job.attempts} attempts. Please try again later.`,
            };
    this.job.fail(failure);
    await this.persist({
      audit: [
        {
          tenantId: job.tenantId,
          actorId: null,
          action: 'export.failed',
          jobId: job.id,
          details: { code: failure.code, attempts: job.attempts, cause: errorName(error) },
        },
      ],
    });
    return 'failed';
  }

  /** Writes progress; a refused save means someone else changed the job: stop, and find out why. */
  private async tick(): Promise<void> {
    if (this.stop.signal.aborted || this.job.toSnapshot().status !== 'running') return;
    if (this.rows) this.job.reportProgress(this.rows.rowsRead, this.total);
    try {
      await this.persist();
    } catch (error) {
      if (isConcurrentUpdate(error)) this.stop.abort(await this.whyChanged());
      else this.logger.warn({ jobId: this.job.id, err: errorName(error) }, 'could not write progress');
    }
  }

  private async whyChanged(): Promise<StopReason> {
    const current = await this.deps.jobs.findById(this.job.tenantId, this.job.id);
    return current?.status.value === 'cancelled' ? 'cancelled' : 'superseded';
  }

  /** Saves are serialized: the ticker and the main flow never write the same job at once. */
  private persist(options?: Parameters<ExportJobRepository['save']>[1]): Promise<void> {
    const next = this.saving.then(() => this.deps.jobs.save(this.job, options));
    this.saving = next.catch(() => undefined);
    return next;
  }

  private throwIfStopped(): void {
    if (this.stop.signal.aborted) throw new Error(`attempt stopped: ${String(this.stop.signal.reason)}`);
  }

  private async finishJournal(outcome: 'completed' | 'aborted'): Promise<void> {
    const leftovers = await this.deps.journal.unfinished(this.job.tenantId, this.job.id);
    const attempt = this.job.toSnapshot().attempts;
    for (const upload of leftovers.filter((u) => u.attempt === attempt))
      await this.deps.journal.finished(upload.uploadId, outcome);
  }
}

function errorName(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  if (error instanceof Error) return (error as { code?: string }).code ?? error.name;
  return typeof error;
}
