import type { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { exportAttemptPrefix, type ExportJobProps } from '@app/domain';
import type { FileStorage, ObjectUpload, StoredObject } from '../../../ports/file-storage';
import type { JournaledUpload, UploadJournal } from '../../../ports/upload-journal';
import { errorName } from './error-name';

type JobRef = Pick<ExportJobProps, 'tenantId' | 'id' | 'attempts'>;

/**
 * The one upload of an attempt, from begin to completed or aborted, journaled so that an upload whose process
 * died is aborted later (by the job's next attempt or by the cleanup). It keeps the id of the upload it began;
 * uploads left by earlier attempts are aborted before it begins its own. The entry is closed as completed only
 * once the job points to the object: until then the object may still have to be deleted.
 */
export class UploadLifecycle {
  private readonly logger = new Logger(UploadLifecycle.name);
  private upload: ObjectUpload | null = null;
  /** While the journal holds the upload unfinished (a small S3 object or a failed begin has none). */
  private uploadId: string | null = null;
  private stored: StoredObject | null = null;

  constructor(
    private readonly storage: FileStorage,
    private readonly journal: UploadJournal,
    private readonly job: JobRef,
  ) {}

  /**
   * Housekeeping for attempts that are over (their worker died, or froze past its lock): their uploads are
   * aborted and their objects deleted (each attempt writes its own key, so this never touches this attempt's file).
   * Never throws: whatever cannot be done now stays unfinished in the journal, for the cleanup (and the bucket's
   * lifecycle rule) to retry; it must not fail the attempt that is running now.
   */
  async abortLeftovers(): Promise<void> {
    const { tenantId, id, attempts } = this.job;
    let leftovers: JournaledUpload[];
    try {
      leftovers = await this.journal.unfinished(tenantId, id);
    } catch (error) {
      this.logger.warn({ jobId: id, err: errorName(error) }, 'could not list the uploads of lost attempts');
      return;
    }
    for (const upload of leftovers) {
      if (upload.attempt === attempts) continue;
      try {
        // Its object, committed before its attempt was lost: first, so it is gone even where the abort is refused.
        // Only under that attempt's own prefix (a key of the former one-key-per-job scheme is left alone).
        if (upload.objectKey.startsWith(exportAttemptPrefix({ tenantId, id, attempts: upload.attempt })))
          await this.storage.delete(upload.objectKey);
        await this.storage.abortUpload(upload.objectKey, upload.uploadId);
        await this.journal.finished(upload.uploadId, 'aborted');
        this.logger.log(
          { jobId: id, uploadId: upload.uploadId, attempt: upload.attempt },
          'aborted the upload of a lost attempt',
        );
      } catch (error) {
        this.logger.warn(
          { jobId: id, uploadId: upload.uploadId, attempt: upload.attempt, err: errorName(error) },
          'could not abort the upload of a lost attempt; left for the cleanup',
        );
      }
    }
  }

  /** Where to write the file's bytes; call once. */
  async begin(key: string, options: { contentType: string; fileName: string }): Promise<Writable> {
    const { tenantId, id, attempts } = this.job;
    this.upload = await this.storage.beginUpload(key, {
      ...options,
      onStarted: async (uploadId) => {
        await this.journal.started({
          tenantId,
          jobId: id,
          attempt: attempts,
          provider: this.storage.provider,
          objectKey: key,
          uploadId,
        });
        this.uploadId = uploadId;
      },
    });
    return this.upload.body;
  }

  /**
   * Waits until the object is committed under its key (after its body ended). Its journal entry stays open until
   * the job points to the file (`kept()`) or the object is discarded: an object whose job was never completed with
   * it is never left behind untracked.
   */
  async finish(): Promise<StoredObject> {
    if (!this.upload) throw new Error('finish() before begin()');
    this.stored = await this.upload.done();
    return this.stored;
  }

  /**
   * The job's completion, pointing to the object, is committed: the upload is over, and from now on only the
   * retention cleanup deletes the object. Never throws: an entry left open is closed by the cleanup, which sees
   * that the object is the job's file and keeps it.
   */
  async kept(): Promise<void> {
    const { uploadId } = this;
    this.stored = null;
    this.upload = null;
    this.uploadId = null;
    try {
      if (uploadId !== null) await this.journal.finished(uploadId, 'completed');
    } catch (error) {
      this.logger.warn(
        { jobId: this.job.id, err: errorName(error) },
        'could not close the journal entry of a completed upload; left for the cleanup',
      );
    }
  }

  /**
   * Whether the job's completion was committed is unknown (its save failed and the job could not be read back):
   * the object stays, and so does its open journal entry, so that the cleanup decides once the database answers
   * (it keeps the object if the job points to it, else deletes it). `discard()` then does nothing.
   */
  leaveForCleanup(): void {
    this.logger.warn(
      { jobId: this.job.id, key: this.stored?.key, uploadId: this.uploadId },
      'the completion of the job is unknown: its object is kept for the cleanup to decide',
    );
    this.stored = null;
    this.upload = null;
    this.uploadId = null;
  }

  /** Nothing of a stopped or failed attempt remains in storage. Never throws. */
  async discard(): Promise<void> {
    try {
      if (this.stored) await this.storage.delete(this.stored.key);
      else if (this.upload) await this.upload.abort();
      await this.closeJournal('aborted');
    } catch (error) {
      // The journal still lists the upload: the next attempt or the cleanup aborts it.
      this.logger.warn(
        { jobId: this.job.id, err: errorName(error) },
        'could not discard the upload of a stopped attempt',
      );
    }
  }

  private async closeJournal(outcome: 'completed' | 'aborted'): Promise<void> {
    if (this.uploadId === null) return;
    await this.journal.finished(this.uploadId, outcome);
    this.uploadId = null;
  }
}
