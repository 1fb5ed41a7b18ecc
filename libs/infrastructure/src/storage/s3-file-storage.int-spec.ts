import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  startRecordingProxy,
  startS3Server,
  type RecordingProxy,
  type S3TestServer,
} from '../../../../test/support/s3';
import { FaultProxy } from '../../../../test/support/fault-proxy';
import { S3_PART_SIZE, S3FileStorage } from './s3-file-storage';
import { CSV_UPLOAD, fileStorageContract, generated, MiB, sha256Of } from './testing/file-storage-contract';

jest.setTimeout(20_000);

/** The part numbers of a multipart upload of `bytes` bytes, as sorted strings sort them. */
const partNumbers = (bytes: number): number[] =>
  Array.from({ length: Math.ceil(bytes / S3_PART_SIZE) }, (_, i) => i + 1).sort();
const csv = CSV_UPLOAD;

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
  /** The requests that wrote `key` (its reads left out). */
  const uploadsOf = (key: string) =>
    requestsFor(key).filter((r) => r.operation !== 'GetObject' && r.operation !== 'HeadObject');

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

  fileStorageContract({
    provider: 's3',
    subject: () => ({
      storage,
      bucket: server.bucket,
      received: (_key, uploadId) => proxy.requests.filter((r) => r.uploadId === uploadId).length,
      leftovers: async (key) =>
        (
          (await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: key }))).Contents ?? []
        ).map((o) => o.Key ?? ''),
      metadata: async (key) => {
        const meta = await head(key);
        return { contentType: meta.ContentType, contentDisposition: meta.ContentDisposition };
      },
      requestCount: () => proxy.requests.length,
    }),
    newKey,
    largeBytes: 40 * MiB,
    smallSizes: [1234, S3_PART_SIZE, 0],
    afterLargeUpload(key, uploadId) {
      // The id onStarted got is the multipart upload's; full parts, then the rest; completed.
      const [create] = proxy.events.filter((e) => e.key === key && e.type === 'create');
      expect(uploadId).toBe(create.uploadId);
      expect(eventsOf(create.uploadId)).toEqual(['create', 'complete']);
      expect(
        requestsFor(key)
          .filter((r) => r.operation === 'UploadPart')
          .map((r) => r.partNumber)
          .sort(),
      ).toEqual(partNumbers(40 * MiB));
    },
    afterSmallUpload(key, _size, onStartedCalls) {
      // At most one part size: a single PutObject, no multipart upload, so no onStarted.
      expect(uploadsOf(key).map((r) => [r.operation, r.status])).toEqual([['PutObject', 200]]);
      expect(onStartedCalls).toBe(0);
    },
    afterAbortMidStream(_key, uploadId) {
      expect(eventsOf(uploadId)).toEqual(['create', 'abort']);
    },
  });

  it('abort() before the first part is full sends nothing at all', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.write(randomBytes(1024));
    await upload.abort();
    await expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    expect(requestsFor(key)).toEqual([]);
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
