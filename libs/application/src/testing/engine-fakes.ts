import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ExportJob } from '@app/domain';
import type { ExportFailureClassifier } from '../ports/export-failure-classifier';
import type { ExportFile, ExportFileRequest } from '../ports/export-file-source';
import { ExportFileSource } from '../ports/export-file-source';
import type { SaveOptions } from '../ports/export-job.repository';
import {
  FileStorage,
  type ObjectUpload,
  type StorageProvider,
  type StoredObject,
  type UploadOptions,
} from '../ports/file-storage';
import { type JournaledUpload, UploadJournal } from '../ports/upload-journal';
import { FakeExportJobRepository } from './api-fakes';

/**
 * Strict fakes of the export engine's ports sharing one ordered log of side effects, so a spec can check that an
 * upload is journaled before its bytes, or aborted before the job is saved. A method the engine has no business
 * calling throws.
 */

const unexpected = (what: string): never => {
  throw new Error(`unexpected call: ${what}`);
};

/** Logs `save <status> <stage> <rowsExported>` after every accepted save, and counts reads. */
export class LoggingJobRepository extends FakeExportJobRepository {
  reads = 0;

  constructor(private readonly log: string[]) {
    super();
  }

  override findById(tenantId: string, id: string): Promise<ExportJob | null> {
    this.reads += 1;
    return super.findById(tenantId, id);
  }
  override async save(job: ExportJob, options?: SaveOptions): Promise<void> {
    await super.save(job, options);
    const { status, stage, progress } = job.toSnapshot();
    this.log.push(`save ${status} ${stage} ${progress.rowsExported}`);
  }
  override async saveProgress(job: ExportJob): Promise<void> {
    await super.saveProgress(job);
    this.log.push(`progress ${job.toSnapshot().progress.rowsExported}`);
  }
}

/** Holds objects by key; multipart uploads (the default) report an id through onStarted. */
export class FakeStorage extends FileStorage {
  readonly provider: StorageProvider = 's3';
  readonly objects = new Map<string, Buffer>();
  readonly uploads: { key: string; options: UploadOptions }[] = [];
  /** When false, uploads are single requests without an id (a small S3 object). */
  multipart = true;
  failDone: Error | null = null;
  failAbort: Error | null = null;

  constructor(private readonly log: string[]) {
    super();
  }

  async beginUpload(key: string, options: UploadOptions): Promise<ObjectUpload> {
    const id = `upload-${this.uploads.length + 1}`;
    this.uploads.push({ key, options });
    this.log.push(`begin ${key}`);
    if (this.multipart) await options.onStarted?.(id);
    const chunks: Buffer[] = [];
    const body = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    body.on('error', () => undefined);
    return {
      body,
      done: async (): Promise<StoredObject> => {
        await finished(body);
        if (this.failDone) throw this.failDone;
        const bytes = Buffer.concat(chunks);
        this.objects.set(key, bytes);
        this.log.push(`stored ${key}`);
        return { provider: this.provider, bucket: 'exports', key, sizeBytes: bytes.length };
      },
      abort: (): Promise<void> => {
        this.log.push(`abort ${this.multipart ? id : key}`);
        body.destroy();
        if (this.failAbort) return Promise.reject(this.failAbort);
        this.objects.delete(key);
        return Promise.resolve();
      },
    };
  }

  delete(key: string): Promise<void> {
    this.log.push(`delete ${key}`);
    this.objects.delete(key);
    return Promise.resolve();
  }

  abortUpload(_key: string, uploadId: string): Promise<void> {
    this.log.push(`abortUpload ${uploadId}`);
    return Promise.resolve();
  }

  openRead(): Promise<{ stream: Readable; sizeBytes: number }> {
    return unexpected('FileStorage.openRead');
  }

  check(): Promise<void> {
    return unexpected('FileStorage.check');
  }
}

export class FakeJournal extends UploadJournal {
  readonly rows: { upload: JournaledUpload; outcome: 'completed' | 'aborted' | null }[] = [];
  /** How often the engine asked for the unfinished uploads of a job. */
  lookups = 0;

  constructor(private readonly log: string[]) {
    super();
  }

  /** An upload some attempt began and never ended. */
  seed(upload: JournaledUpload): void {
    this.rows.push({ upload, outcome: null });
  }

  started(upload: JournaledUpload): Promise<void> {
    this.rows.push({ upload, outcome: null });
    this.log.push(`journal ${upload.uploadId} started`);
    return Promise.resolve();
  }

  finished(uploadId: string, outcome: 'completed' | 'aborted'): Promise<void> {
    const row = this.rows.find((r) => r.upload.uploadId === uploadId && r.outcome === null);
    if (row) row.outcome = outcome;
    this.log.push(`journal ${uploadId} ${outcome}`);
    return Promise.resolve();
  }

  unfinished(tenantId: string, jobId: string): Promise<JournaledUpload[]> {
    this.lookups += 1;
    return Promise.resolve(
      this.rows
        .filter((r) => r.outcome === null && r.upload.tenantId === tenantId && r.upload.jobId === jobId)
        .map((r) => r.upload),
    );
  }

  abandoned(): Promise<JournaledUpload[]> {
    return unexpected('UploadJournal.abandoned');
  }
}

/** Transient when the error's message says so. */
export class FakeClassifier implements ExportFailureClassifier {
  isTransient(error: unknown): boolean {
    return error instanceof Error && error.message.includes('transient');
  }
}

/**
 * One in-memory export file: each row is one chunk of bytes. `stallAfter` rows it waits until destroyed (a slow
 * query); `failAfter` rows it fails with `failure`.
 */
export class FakeFileSource extends ExportFileSource {
  rows: string[] = ['id,title\r\n', '1,a\r\n', '2,b\r\n'];
  /** What the count says (the rows, unless a spec says otherwise). */
  totalRows: number | null = null;
  stallAfter: number | null = null;
  failAfter: number | null = null;
  failure: Error = new Error('connection reset (transient)');
  failOpen: Error | null = null;
  readonly requests: ExportFileRequest[] = [];
  readonly snapshotAt = new Date('2026-03-02T09:00:06.000Z');

  constructor(private readonly log: string[]) {
    super();
  }

  open(request: ExportFileRequest): Promise<ExportFile> {
    this.requests.push(request);
    this.log.push('open file');
    if (this.failOpen) return Promise.reject(this.failOpen);
    const { rows, stallAfter, failAfter, failure, log } = this;
    let read = 0;
    let streamed = false;
    let closed = false;
    return Promise.resolve({
      snapshotAt: this.snapshotAt,
      totalRows: this.totalRows ?? rows.length,
      get rowsRead() {
        return read;
      },
      bytes(): Readable {
        if (streamed) throw new Error('bytes() called twice');
        streamed = true;
        return new Readable({
          read() {
            if (read === stallAfter) return;
            if (read === failAfter) return this.destroy(failure);
            if (read === rows.length) return void this.push(null);
            this.push(rows[read]);
            read += 1;
          },
        });
      },
      close(): Promise<void> {
        if (!closed) log.push('close file');
        closed = true;
        return Promise.resolve();
      },
    });
  }
}
