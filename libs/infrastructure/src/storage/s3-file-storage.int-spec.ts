import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { UploadOptions } from '@app/application';
import { DomainError } from '@app/domain';
import {
  startRecordingProxy,
  startS3Server,
  type RecordingProxy,
  type S3TestServer,
} from '../../../../test/support/s3';
import { FaultProxy } from '../../../../test/support/fault-proxy';
import { S3_PART_SIZE, S3FileStorage } from './s3-file-storage';

jest.setTimeout(20_000);

const MiB = 1024 * 1024;
/** The part numbers of a multipart upload of `bytes` bytes, as sorted strings sort them. */
const partNumbers = (bytes: number): number[] =>
  Array.from({ length: Math.ceil(bytes / S3_PART_SIZE) }, (_, i) => i + 1).sort();
const csv: UploadOptions = {
  contentType: 'text/csv; charset=utf-8',
  fileName: 'tickets été.csv',
};

/** `size` random bytes in 64 KiB chunks (never held in memory at once), hashed as they are produced. */
function generated(size: number): { stream: Readable; sha256: () => string } {
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

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('S3FileStorage (s3rver behind a recording proxy)', () => {
  let server: S3TestServer;
  let proxy: RecordingProxy;
  let storage: S3FileStorage;
  let raw: S3Client;
  const newKey = (name = 'tickets.csv'): string => `exports/tenant/${randomUUID()}/${name}`;
  const head = (key: string) => raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
  const eventsOf = (uploadId: string) =>
    proxy.events.filter((e) => e.uploadId === uploadId).map((e) => e.type);
  const requestsFor = (key: string) => proxy.requests.filter((r) => r.key === key);

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startRecordingProxy(server.endpoint);
    const s3 = { ...server.s3, endpoint: proxy.endpoint };
    storage = new S3FileStorage(s3);
    raw = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  afterEach(() => {
    proxy.clearFaults();
    // Whatever a test did, every multipart upload it created has been completed or aborted.
    expect(proxy.unfinishedUploads()).toEqual([]);
  });

  afterAll(async () => {
    storage.onModuleDestroy();
    raw.destroy();
    await proxy.close();
    await server.close();
  });

  it('streams a 40 MiB object as a multipart upload, recording the UploadId before any part is sent', async () => {
    const key = newKey();
    const data = generated(40 * MiB);
    const started: { uploadId: string; partsSentBefore: number }[] = [];
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: async (uploadId) => {
        await new Promise((r) => setTimeout(r, 200)); // a slow durable write: the parts must wait for it
        started.push({
          uploadId,
          partsSentBefore: proxy.requests.filter((r) => r.uploadId === uploadId).length,
        });
      },
    });

    await pipeline(data.stream, upload.body);
    const stored = await upload.done();

    expect(stored).toEqual({ provider: 's3', bucket: server.bucket, key, sizeBytes: 40 * MiB });
    const [create] = proxy.events.filter((e) => e.key === key && e.type === 'create');
    expect(started).toEqual([{ uploadId: create.uploadId, partsSentBefore: 0 }]);
    expect(eventsOf(create.uploadId)).toEqual(['create', 'complete']);
    expect(
      requestsFor(key)
        .filter((r) => r.operation === 'UploadPart')
        .map((r) => r.partNumber)
        .sort(),
    ).toEqual(partNumbers(40 * MiB)); // full parts, then the rest
    const { stream, sizeBytes } = await storage.openRead(key);
    expect(sizeBytes).toBe(40 * MiB);
    expect(await sha256Of(stream)).toBe(data.sha256());
    const meta = await head(key);
    expect(meta.ContentType).toBe(csv.contentType);
    expect(meta.ContentDisposition).toBe(
      `attachment; filename="tickets ete.csv"; filename*=UTF-8''tickets%20%C3%A9t%C3%A9.csv`,
    );
  });

  it('sends an object of at most one part size as a single PutObject, without onStarted', async () => {
    const small = newKey('small.json');
    const exact = newKey('exact.csv');
    const onStarted = jest.fn(() => Promise.resolve());
    for (const [key, size] of [
      [small, 1234],
      [exact, S3_PART_SIZE],
    ] as const) {
      const data = generated(size);
      const upload = await storage.beginUpload(key, {
        contentType: 'application/json',
        fileName: 'small.json',
        onStarted,
      });
      await pipeline(data.stream, upload.body);
      expect(await upload.done()).toMatchObject({ key, sizeBytes: size });
      expect(requestsFor(key).map((r) => [r.operation, r.status])).toEqual([['PutObject', 200]]);
      const read = await storage.openRead(key);
      expect(read.sizeBytes).toBe(size);
      expect(await sha256Of(read.stream)).toBe(data.sha256());
      expect((await head(key)).ContentType).toBe('application/json');
      expect((await head(key)).ContentDisposition).toBe(
        `attachment; filename="small.json"; filename*=UTF-8''small.json`,
      );
    }
    expect(onStarted).not.toHaveBeenCalled();
  });

  it('stores an empty object', async () => {
    const key = newKey('empty.csv');
    const upload = await storage.beginUpload(key, csv);
    upload.body.end();
    expect(await upload.done()).toMatchObject({ sizeBytes: 0 });
    expect((await storage.openRead(key)).sizeBytes).toBe(0);
  });

  it('abort() mid-stream rejects the writer and done(), aborts the multipart upload and leaves no object', async () => {
    const key = newKey();
    const started = deferred<string>();
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: (uploadId) => Promise.resolve(started.resolve(uploadId)),
    });
    // An endless export; expect(...) subscribes at once, so the rejection is never "unhandled".
    const writerRejects = expect(
      pipeline(generated(Number.MAX_SAFE_INTEGER).stream, upload.body),
    ).rejects.toThrow();
    const doneRejects = expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    const uploadId = await started.promise;

    await upload.abort();

    await writerRejects;
    await doneRejects;
    expect(eventsOf(uploadId)).toEqual(['create', 'abort']);
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(upload.abort()).resolves.toBeUndefined(); // safe twice
  });

  it('abort() before the first part is full sends nothing at all', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.write(randomBytes(1024));
    await upload.abort();
    await expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    expect(requestsFor(key)).toEqual([]);
  });

  it('abort() after done() deletes the committed object', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.end('id,title\r\n');
    await upload.done();
    await upload.abort();
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });

  it('aborts the multipart upload when onStarted fails, and done() reports that failure', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: () => Promise.reject(new Error('could not record the upload id')),
    });
    const writerRejects = expect(pipeline(generated(40 * MiB).stream, upload.body)).rejects.toThrow(
      'could not record the upload id',
    );
    await expect(upload.done()).rejects.toThrow('could not record the upload id');
    await writerRejects;
    const [create] = proxy.events.filter((e) => e.key === key);
    expect(eventsOf(create.uploadId)).toEqual(['create', 'abort']);
    expect(requestsFor(key).filter((r) => r.operation === 'UploadPart')).toEqual([]);
    await upload.abort();
  });

  it('abortUpload() ends a multipart upload left behind by a dead process, and is idempotent', async () => {
    const key = newKey();
    const { UploadId } = await raw.send(
      new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
    );
    if (UploadId === undefined) throw new Error('no UploadId');
    await raw.send(
      new UploadPartCommand({
        Bucket: server.bucket,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: randomBytes(5 * MiB),
      }),
    );
    expect(proxy.unfinishedUploads()).toEqual([UploadId]);

    await storage.abortUpload(key, UploadId);
    expect(eventsOf(UploadId)).toEqual(['create', 'abort']);
    await storage.abortUpload(key, UploadId); // NoSuchUpload counts as done
    await storage.abortUpload(key, 'an-id-that-never-existed');
    expect(
      requestsFor(key)
        .filter((r) => r.operation === 'AbortMultipartUpload')
        .map((r) => r.status),
    ).toEqual([204, 404, 404]);
  });

  it('delete() is idempotent and openRead() of a missing key is STORAGE.NOT_FOUND', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.end('x');
    await upload.done();
    await storage.delete(key);
    await storage.delete(key);
    await expect(storage.openRead(key)).rejects.toBeInstanceOf(DomainError);
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(storage.openRead(newKey('never-written.csv'))).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
    });
  });

  it.each(['../x', '/etc/passwd', 'a/../../b', 'a\\b', 'a\0b', '', 'a//b', './a'])(
    'refuses the key %j without sending anything',
    async (key) => {
      const sent = proxy.requests.length;
      const invalid = { code: 'STORAGE.INVALID_KEY' };
      await expect(storage.beginUpload(key, csv)).rejects.toMatchObject(invalid);
      await expect(storage.openRead(key)).rejects.toMatchObject(invalid);
      await expect(storage.delete(key)).rejects.toMatchObject(invalid);
      await expect(storage.abortUpload(key, 'id')).rejects.toMatchObject(invalid);
      expect(proxy.requests.length).toBe(sent);
    },
  );

  it('rides out two transient UploadPart failures with the SDK retries', async () => {
    const key = newKey();
    const data = generated(40 * MiB);
    proxy.failNext(2, 503, 'UploadPart');
    const upload = await storage.beginUpload(key, csv);
    await pipeline(data.stream, upload.body);
    await upload.done();

    const parts = requestsFor(key).filter((r) => r.operation === 'UploadPart');
    expect(parts.filter((r) => r.status === 503)).toHaveLength(2);
    expect(parts.filter((r) => r.status === 200)).toHaveLength(partNumbers(40 * MiB).length);
    expect(await sha256Of((await storage.openRead(key)).stream)).toBe(data.sha256());
  });

  it('when UploadPart keeps failing, done() and the writer reject and the multipart upload is aborted', async () => {
    const key = newKey();
    proxy.failWhile('UploadPart', 500);
    const upload = await storage.beginUpload(key, csv);
    const writerRejects = expect(
      pipeline(generated(Number.MAX_SAFE_INTEGER).stream, upload.body),
    ).rejects.toMatchObject({ name: 'InternalError' });

    await expect(upload.done()).rejects.toMatchObject({ name: 'InternalError' });
    await writerRejects;
    await upload.abort();

    const [create] = proxy.events.filter((e) => e.key === key);
    expect(eventsOf(create.uploadId)).toEqual(['create', 'abort']);
    // The SDK made 3 attempts (its default) at each part in flight, then gave up; no part was sent after.
    const parts = requestsFor(key).filter((r) => r.operation === 'UploadPart');
    expect(parts.every((r) => r.status === 500)).toBe(true);
    expect(parts.length).toBeLessThanOrEqual(3 * 2);
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });

  it('when PutObject keeps failing, done() rejects and no object appears', async () => {
    const key = newKey();
    proxy.failWhile('PutObject', 503);
    const upload = await storage.beginUpload(key, csv);
    upload.body.end('id\r\n1\r\n');
    await expect(upload.done()).rejects.toMatchObject({ name: 'SlowDown' });
    proxy.clearFaults();
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });

  it('check() passes against the bucket and fails against a dead endpoint', async () => {
    await expect(storage.check()).resolves.toBeUndefined();

    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const dead = new S3FileStorage({ ...server.s3, endpoint: `http://127.0.0.1:${port}` });
    try {
      await expect(dead.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    } finally {
      dead.onModuleDestroy();
    }
    const missingBucket = new S3FileStorage({
      ...server.s3,
      endpoint: proxy.endpoint,
      bucket: 'no-such-bucket',
    });
    try {
      await expect(missingBucket.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    } finally {
      missingBucket.onModuleDestroy();
    }
  });
});

describe('S3FileStorage when S3 stalls (a fault proxy in stall mode)', () => {
  const REQUEST_TIMEOUT_MS = 1_500;
  let server: S3TestServer;
  let proxy: FaultProxy;
  let storage: S3FileStorage;

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await FaultProxy.forUrl(server.endpoint);
    storage = new S3FileStorage({
      ...server.s3,
      endpoint: proxy.rewrite(server.endpoint),
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  });

  afterEach(() => proxy.setMode('pass'));

  afterAll(async () => {
    storage.onModuleDestroy();
    await proxy.close();
    await server.close();
  });

  /** An upload of 20 MiB whose parts S3 accepts and never answers, from its first part on. */
  async function stalledUpload() {
    const upload = await storage.beginUpload(`exports/tenant/${randomUUID()}/1/t.csv`, {
      ...csv,
      onStarted: () => {
        proxy.setMode('stall');
        return Promise.resolve();
      },
    });
    const writing = pipeline(generated(20 * MiB).stream, upload.body).catch((error: unknown) => error);
    return { upload, writing };
  }

  it('fails the upload once its request timed out (S3_REQUEST_TIMEOUT_MS, after the SDK retries)', async () => {
    const { upload, writing } = await stalledUpload();
    const startedAt = Date.now();
    await expect(upload.done()).rejects.toThrow();
    const failedAfter = Date.now() - startedAt;
    expect(await writing).toBeInstanceOf(Error);
    expect(failedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    // The SDK's 3 tries, its backoff, then the discard (bounded at 2 s): not the AbortMultipartUpload retries too.
    expect(failedAfter).toBeLessThan(3 * REQUEST_TIMEOUT_MS + 4_000);
    process.stdout.write(
      `S3 stall, request timeout ${REQUEST_TIMEOUT_MS} ms: the upload failed after ${failedAfter} ms\n`,
    );
  });

  it('abort() ends the part in flight at once instead of waiting for it', async () => {
    const { upload, writing } = await stalledUpload();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a part is in flight, unanswered
    const abortAt = Date.now();
    await upload.abort().catch(() => undefined); // the AbortMultipartUpload stalls too: left for the cleanup
    const abortedAfter = Date.now() - abortAt;
    expect(abortedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    await expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    expect(await writing).not.toBeUndefined(); // the writer's pipeline rejected
    process.stdout.write(`S3 stall: abort() returned after ${abortedAfter} ms\n`);
  });
});
