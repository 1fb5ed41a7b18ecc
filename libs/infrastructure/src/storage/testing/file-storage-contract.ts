import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStorage, StorageProvider, UploadOptions } from '@app/application';
import { DomainError } from '@app/domain';

/**
 * The FileStorage port's promises (libs/application/src/ports/file-storage.ts), as one suite that every driver's
 * integration spec runs against its real backend (disk, s3rver, Azurite). A driver that passes it can replace
 * another without the export engine noticing; what only one driver does (retries, faults, leftovers of a dead
 * process, check()) stays in that driver's spec.
 */

export const MiB = 1024 * 1024;

/** `size` random bytes in 64 KiB chunks (never held in memory at once), hashed as they are produced. */
export function generated(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  function* chunks(): Generator<Buffer> {
    for (let left = size; left > 0;) {
      const chunk = randomBytes(Math.min(left, 64 * 1024));
      hash.update(chunk);
      left -= chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), sha256: () => hash.digest('hex') };
}

export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A non-ASCII download name: the stored Content-Disposition must carry both its ASCII fallback and RFC 5987 form. */
export const CSV_UPLOAD: UploadOptions = {
  contentType: 'text/csv; charset=utf-8',
  fileName: 'tickets été.csv',
};
const CSV_DISPOSITION = `attachment; filename="tickets ete.csv"; filename*=UTF-8''tickets%20%C3%A9t%C3%A9.csv`;

/** Keys the port refuses (STORAGE.INVALID_KEY) before reaching any backend. */
export const INVALID_KEYS = [
  '../x',
  '/etc/passwd',
  'a/../../b',
  'a\\b',
  'a\0b',
  '',
  'a//b',
  './a',
  'a/.',
  '..',
];

/** The driver under test, as its spec set it up in beforeAll (read only inside tests). */
export interface ContractSubject {
  readonly storage: FileStorage;
  /** The bucket or container a StoredObject names (null on local disk). */
  readonly bucket: string | null;
  /** How much of upload `uploadId` of `key` the backend received so far (requests, files): 0 means nothing. */
  readonly received: (key: string, uploadId: string) => number | Promise<number>;
  /** Names the backend holds under `key` (committed objects, and temporary files where the driver makes them). */
  readonly leftovers: (key: string) => Promise<string[]>;
  /** Content type and disposition as stored with the object; null where the driver stores none (local disk). */
  readonly metadata: (key: string) => Promise<{ contentType?: string; contentDisposition?: string } | null>;
  /** Requests sent to the backend so far, where they can be counted (an invalid key must send none). */
  readonly requestCount?: () => number;
}

export interface StorageContract {
  readonly provider: StorageProvider;
  subject(): ContractSubject;
  readonly newKey: (name?: string) => string;
  /** Big enough for several parts or blocks (a multipart upload; one temporary file on disk). */
  readonly largeBytes: number;
  /** Sizes stored in one request where the driver has requests (up to one part or block, and empty). */
  readonly smallSizes: readonly number[];
  /** The driver's own observations on the shared scenarios (its requests, parts, temporary files). */
  beforeLargeDone?(key: string, uploadId: string): Promise<void>;
  afterLargeUpload?(key: string, uploadId: string): Promise<void> | void;
  afterSmallUpload?(key: string, size: number, onStartedCalls: number): Promise<void> | void;
  afterAbortMidStream?(key: string, uploadId: string): Promise<void> | void;
}

/** Registers the shared tests in the caller's describe block. */
export function fileStorageContract(contract: StorageContract): void {
  const { newKey } = contract;

  describe(`the FileStorage contract (${contract.provider})`, () => {
    it('streams a large object, recording the upload id before the backend receives anything, and reads it back', async () => {
      const { storage, bucket, received, metadata } = contract.subject();
      const key = newKey();
      const data = generated(contract.largeBytes);
      const started: { uploadId: string; receivedBefore: number }[] = [];
      const upload = await storage.beginUpload(key, {
        ...CSV_UPLOAD,
        onStarted: async (uploadId) => {
          await sleep(200); // a slow durable write: the bytes must wait for it
          started.push({ uploadId, receivedBefore: await received(key, uploadId) });
        },
      });

      await pipeline(data.stream, upload.body);
      expect(started).toHaveLength(1);
      const [{ uploadId }] = started;
      expect(started).toEqual([{ uploadId, receivedBefore: 0 }]);
      await contract.beforeLargeDone?.(key, uploadId);
      const stored = await upload.done();

      expect(stored).toEqual({ provider: contract.provider, bucket, key, sizeBytes: contract.largeBytes });
      const { stream, sizeBytes } = await storage.openRead(key);
      expect(sizeBytes).toBe(contract.largeBytes);
      expect(await sha256Of(stream)).toBe(data.sha256());
      const meta = await metadata(key);
      if (meta !== null)
        expect(meta).toMatchObject({
          contentType: CSV_UPLOAD.contentType,
          contentDisposition: CSV_DISPOSITION,
        });
      await contract.afterLargeUpload?.(key, uploadId);
    });

    it('stores small and empty objects', async () => {
      const { storage, metadata } = contract.subject();
      for (const size of contract.smallSizes) {
        const key = newKey('small.json');
        const data = generated(size);
        const onStarted = jest.fn(() => Promise.resolve());
        const upload = await storage.beginUpload(key, {
          contentType: 'application/json',
          fileName: 'small.json',
          onStarted,
        });
        await pipeline(data.stream, upload.body);
        expect(await upload.done()).toMatchObject({ key, sizeBytes: size });
        const read = await storage.openRead(key);
        expect(read.sizeBytes).toBe(size);
        expect(await sha256Of(read.stream)).toBe(data.sha256());
        const meta = await metadata(key);
        if (meta !== null)
          expect(meta).toMatchObject({
            contentType: 'application/json',
            contentDisposition: `attachment; filename="small.json"; filename*=UTF-8''small.json`,
          });
        await contract.afterSmallUpload?.(key, size, onStarted.mock.calls.length);
      }
    });

    it('abort() mid-stream rejects the writer and done(), and leaves nothing under the key', async () => {
      const { storage, leftovers } = contract.subject();
      const key = newKey();
      const started = deferred<string>();
      const upload = await storage.beginUpload(key, {
        ...CSV_UPLOAD,
        onStarted: (uploadId) => Promise.resolve(started.resolve(uploadId)),
      });
      // An endless export; expect(...) subscribes at once, so the rejection is never "unhandled".
      const writerRejects = expect(
        pipeline(generated(Number.MAX_SAFE_INTEGER).stream, upload.body),
      ).rejects.toThrow();
      const doneRejects = expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
      const uploadId = await started.promise;
      await sleep(300); // bytes are on their way (parts, blocks, the temporary file)

      await upload.abort();

      await writerRejects;
      await doneRejects;
      await contract.afterAbortMidStream?.(key, uploadId);
      await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
      expect(await leftovers(key)).toEqual([]);
      await expect(upload.abort()).resolves.toBeUndefined(); // safe twice
    });

    it('abort() after done() removes the committed object', async () => {
      const { storage, leftovers } = contract.subject();
      const key = newKey();
      const upload = await storage.beginUpload(key, CSV_UPLOAD);
      upload.body.end('id,title\r\n');
      await upload.done();
      expect(await leftovers(key)).toEqual([key]);
      await upload.abort();
      await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
      expect(await leftovers(key)).toEqual([]);
    });

    it('delete() is idempotent and openRead() of a missing key is STORAGE.NOT_FOUND', async () => {
      const { storage, leftovers } = contract.subject();
      const key = newKey();
      const upload = await storage.beginUpload(key, CSV_UPLOAD);
      upload.body.end('x');
      await upload.done();
      await storage.delete(key);
      await storage.delete(key);
      expect(await leftovers(key)).toEqual([]);
      await expect(storage.openRead(key)).rejects.toBeInstanceOf(DomainError);
      await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
      await expect(storage.openRead(newKey('never-written.csv'))).rejects.toMatchObject({
        code: 'STORAGE.NOT_FOUND',
      });
    });

    it.each(INVALID_KEYS)('refuses the key %j without reaching the backend', async (key) => {
      const { storage, requestCount } = contract.subject();
      const sent = requestCount?.();
      const invalid = { code: 'STORAGE.INVALID_KEY' };
      const onStarted = jest.fn(() => Promise.resolve());
      await expect(storage.beginUpload(key, { ...CSV_UPLOAD, onStarted })).rejects.toMatchObject(invalid);
      await expect(storage.openRead(key)).rejects.toMatchObject(invalid);
      await expect(storage.delete(key)).rejects.toMatchObject(invalid);
      await expect(storage.abortUpload(key, randomUUID())).rejects.toMatchObject(invalid);
      expect(onStarted).not.toHaveBeenCalled();
      expect(requestCount?.()).toBe(sent);
    });
  });
}
