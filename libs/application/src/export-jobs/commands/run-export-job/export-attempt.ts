import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import {
  checkRowCap,
  exportFileName,
  exportObjectKey,
  type ExportJob,
  FORMAT_FILE_TYPES,
  type FormatRowCaps,
} from '@app/domain';
import type { Clock } from '../../../ports/clock';
import type { ExportFile, ExportFileSource } from '../../../ports/export-file-source';
import type { ExportJobRepository } from '../../../ports/export-job.repository';
import type { StoredObject } from '../../../ports/file-storage';
import type { AttemptSettlement } from './attempt-settlement';
import { DigestStream } from './digest-stream';
import type { ProgressReporter } from './progress-reporter';
import { AttemptTimedOutError, type RunExportJobOutcome } from './run-export-job.command';
import type { UploadLifecycle } from './upload-lifecycle';

export interface ExportAttemptParts {
  readonly files: ExportFileSource;
  /** Reads the job back when its completion's save failed: was it committed all the same? */
  readonly jobs: Pick<ExportJobRepository, 'findById'>;
  /** Owns the job's saves and the stop signal. */
  readonly progress: ProgressReporter;
  readonly upload: UploadLifecycle;
  readonly settlement: AttemptSettlement;
  readonly clock: Clock;
  readonly retentionHours: number;
  /** EXPORT_ATTEMPT_TIMEOUT_S in ms: past it the attempt stops and the job fails with EXPORT_JOB.TIMED_OUT. */
  readonly attemptTimeoutMs: number;
  /** EXPORT_<FORMAT>_MAX_ROWS: a count over the job's format's cap fails the job at `counting`. */
  readonly maxRowsByFormat: FormatRowCaps;
}

/**
 * One attempt of one export, from a started job to its final state. The bytes flow in ONE pipeline, back-pressure
 * end to end: the export file (rows of one snapshot, already in the job's format) -> sha256 -> storage upload.
 */
export class ExportAttempt {
  private readonly job: ExportJob;

  constructor(private readonly parts: ExportAttemptParts) {
    this.job = parts.progress.job;
  }

  async run(): Promise<RunExportJobOutcome> {
    const { files, progress, upload, settlement } = this.parts;
    const job = this.job.toSnapshot();
    let file: ExportFile | null = null;
    progress.start(() => file && { rowsRead: file.rowsRead, totalRows: file.totalRows });
    // The deadline stops the pipeline; the steps around it check it (each of their calls has a timeout of its own).
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new AttemptTimedOutError(this.parts.attemptTimeoutMs)),
      this.parts.attemptTimeoutMs,
    );
    const signal = AbortSignal.any([progress.signal, deadline.signal]);
    const throwIfTimedOut = (): void => {
      if (deadline.signal.aborted) throw deadline.signal.reason;
    };
    try {
      await upload.abortLeftovers();
      file = await files.open({
        tenantId: job.tenantId,
        requesterId: job.requestedById,
        requesterEmail: job.requestedByEmail,
        requestedAt: job.requestedAt,
        source: job.source,
        query: job.query,
        format: job.format,
      });
      progress.throwIfStopped();
      throwIfTimedOut();
      checkRowCap(this.parts.maxRowsByFormat, job.format, file.totalRows);
      await this.enter('exporting', 0, file.totalRows);
      const body = await upload.begin(exportObjectKey(job), {
        contentType: FORMAT_FILE_TYPES[job.format].contentType,
        fileName: exportFileName(job),
      });
      const digest = new DigestStream();
      await pipeline(file.bytes(), digest, body, { signal });
      throwIfTimedOut();
      await this.enter('uploading', file.rowsRead, file.totalRows);
      const stored = await upload.finish();
      throwIfTimedOut();
      this.job.enterStage('finalizing');
      progress.stop();
      await this.complete(stored, digest.sha256(), file);
      await upload.kept();
      return 'completed';
    } catch (error) {
      progress.stop();
      await upload.discard();
      const failure = deadline.signal.aborted ? (deadline.signal.reason as AttemptTimedOutError) : error;
      return await settlement.settle(progress, failure, await progress.stopReason(error));
    } finally {
      clearTimeout(timer);
      progress.stop();
      await file?.close();
    }
  }

  private async enter(stage: 'exporting' | 'uploading', rows: number, totalRows: number): Promise<void> {
    this.job.reportProgress(rows, totalRows);
    this.job.enterStage(stage);
    await this.parts.progress.save();
  }

  /**
   * The file record, the job `completed` and its audit entry, in one save. When the save fails, the commit may
   * still have happened (the connection dropped after COMMIT): the job is read back, and only a job known not to
   * point to this file lets the error through to the catch path, which deletes the object. Once the row says
   * `completed`, only the retention cleanup deletes its object.
   */
  private async complete(stored: StoredObject, sha256: string, file: ExportFile): Promise<void> {
    const storedFileId = randomUUID();
    try {
      await this.saveCompletion(stored, sha256, file, storedFileId);
    } catch (error) {
      const committed = await this.completionCommitted(storedFileId);
      if (committed === true) return;
      if (committed === null) this.parts.upload.leaveForCleanup();
      throw error;
    }
  }

  /** Whether the stored job points to the file `storedFileId`; null when the job cannot be read. */
  private async completionCommitted(storedFileId: string): Promise<boolean | null> {
    try {
      const stored = await this.parts.jobs.findById(this.job.tenantId, this.job.id);
      return stored?.toSnapshot().file?.storedFileId === storedFileId;
    } catch {
      return null;
    }
  }

  private async saveCompletion(
    stored: StoredObject,
    sha256: string,
    file: ExportFile,
    storedFileId: string,
  ): Promise<void> {
    const job = this.job.toSnapshot();
    const record = {
      id: storedFileId,
      tenantId: job.tenantId,
      name: exportFileName(job),
      contentType: FORMAT_FILE_TYPES[job.format].contentType,
      sizeBytes: stored.sizeBytes,
      sha256,
      provider: stored.provider,
      bucket: stored.bucket,
      objectKey: stored.key,
    };
    this.job.complete({
      file: {
        storedFileId: record.id,
        name: record.name,
        contentType: record.contentType,
        sizeBytes: record.sizeBytes,
        sha256,
        rowCount: file.rowsRead,
      },
      snapshotAt: file.snapshotAt,
      now: this.parts.clock.now(),
      retentionHours: this.parts.retentionHours,
    });
    await this.parts.progress.save({
      newFile: record,
      audit: [
        {
          tenantId: job.tenantId,
          actorId: null,
          action: 'export.completed',
          jobId: job.id,
          details: {
            source: job.source,
            rows: file.rowsRead,
            bytes: record.sizeBytes,
            attempts: job.attempts,
          },
        },
      ],
    });
  }
}
