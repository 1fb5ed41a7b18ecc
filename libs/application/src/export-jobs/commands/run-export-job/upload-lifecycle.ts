import type { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { ExportJobProps } from '@app/domain';
import type { FileStorage, ObjectUpload, StoredObject } from '../../../ports/file-storage';
import type { UploadJournal } from '../../../ports/upload-journal';
import { errorName } from './error-name';

type JobRef = Pick<ExportJobProps, 'tenantId' | 'id' | 'attempts'>;

/**
 * The one upload of an attempt, from begin to completed or aborted, journaled so that an upload whose process
 * died is aborted later (by the job's next attempt or by the cleanup). It keeps the id of the upload it began;
 * uploads left by earlier attempts are aborted before it begins its own.
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

  /** Uploads that earlier attempts began and never ended (their worker died). */
  async abortLeftovers(): Promise<void> {
    const { tenantId, id, attempts } = this.job;
    for (const upload of await this.journal.unfinished(tenantId, id)) {
      if (upload.attempt === attempts) continue;
      await this.storage.abortUpload(upload.objectKey, upload.uploadId);
      await this.journal.finished(upload.uploadId, 'aborted');
      this.logger.log(
        { jobId: id, uploadId: upload.uploadId, attempt: upload.attempt },
        'aborted the upload of a lost attempt',
      );
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
   * Waits until the object is committed under its key (after its body ended), then closes the journal entry: the
   * upload is over, before the job points to the file.
   */
  async finish(): Promise<StoredObject> {
    if (!this.upload) throw new Error('finish() before begin()');
    this.stored = await this.upload.done();
    await this.closeJournal('completed');
    return this.stored;
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
