import type { Readable, Writable } from 'node:stream';
import { DomainError } from '@app/domain';

export type StorageProvider = 'local' | 's3' | 'azure';

/** Where an object ended up once an upload completed. */
export interface StoredObject {
  readonly provider: StorageProvider;
  readonly bucket: string | null;
  readonly key: string;
  /** The bytes written: the size the file record states (nothing else counts them). */
  readonly sizeBytes: number;
}

export interface UploadOptions {
  readonly contentType: string;
  /** The name a download saves the object as; the adapter stores it as Content-Disposition metadata when it can. */
  readonly fileName: string;
  /**
   * Called once the provider has begun something that must later be completed or aborted (an S3 multipart
   * upload, a temporary file), with the id needed to abort it. The upload waits for the returned promise, so a
   * caller that records the id durably never loses track of an upload, even if the process dies right after.
   */
  readonly onStarted?: (uploadId: string) => Promise<void>;
}

/** An upload in progress: write the bytes to `body`, end it, then await `done()`; on any failure call `abort()`. */
export interface ObjectUpload {
  readonly body: Writable;
  /** Resolves when the object is committed and visible under its key. */
  done(): Promise<StoredObject>;
  /** Discards everything written so far; nothing remains under the key. Safe to call more than once. */
  abort(): Promise<void>;
}

/** `openRead` of a key that holds no object. */
export class StoredObjectNotFoundError extends DomainError {
  constructor(key: string) {
    super('STORAGE.NOT_FOUND', 'The file does not exist.', { key });
  }
}

export abstract class FileStorage {
  abstract readonly provider: StorageProvider;
  abstract beginUpload(key: string, options: UploadOptions): Promise<ObjectUpload>;
  /** The object's bytes; throws StoredObjectNotFoundError when it does not exist. */
  abstract openRead(key: string): Promise<{ stream: Readable; sizeBytes: number }>;
  /** Idempotent: deleting a missing object succeeds. */
  abstract delete(key: string): Promise<void>;
  /** Aborts an upload begun by a process that is gone (id as passed to onStarted). Idempotent. */
  abstract abortUpload(key: string, uploadId: string): Promise<void>;
  /** Throws when the storage cannot be reached (readiness). */
  abstract check(): Promise<void>;
}
