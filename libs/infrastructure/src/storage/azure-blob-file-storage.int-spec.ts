import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import {
  azuriteConfig,
  blobNames,
  containerOf,
  startAzurite,
  startBlobProxy,
  type AzuriteServer,
  type BlobProxy,
} from '../../../../test/support/azurite';
import { classifyFailure } from '../errors/failure-kind';
import { AZURE_BLOCK_SIZE, AZURE_BLOCKS_IN_FLIGHT, AzureBlobFileStorage } from './azure-blob-file-storage';
import { CSV_UPLOAD, fileStorageContract, generated, MiB, sha256Of } from './testing/file-storage-contract';

jest.setTimeout(20_000);

const csv = CSV_UPLOAD;

describe('AzureBlobFileStorage (Azurite behind a recording proxy)', () => {
  let azurite: AzuriteServer;
  let proxy: BlobProxy;
  let storage: AzureBlobFileStorage;
  const newKey = (name = 'tickets.csv'): string => `exports/tenant/${randomUUID()}/1/${name}`;
  const operationsFor = (key: string) =>
    proxy.requests.filter((r) => r.key === key).map((r) => [r.operation, r.status]);
  /** The requests that wrote `key` (its reads left out). */
  const uploadsOf = (key: string) =>
    operationsFor(key).filter(([operation]) => operation !== 'GetBlob' && operation !== 'GetBlobProperties');
  const properties = (key: string) => containerOf(azurite.azure).getBlockBlobClient(key).getProperties();

  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await startBlobProxy(azurite.endpoint);
    storage = new AzureBlobFileStorage(azuriteConfig(proxy.endpoint, azurite.container));
  });

  afterEach(() => proxy.clearFaults());

  afterAll(async () => {
    await proxy?.close();
    await azurite?.close();
  });

  fileStorageContract({
    provider: 'azure',
    subject: () => ({
      storage,
      bucket: azurite.container,
      received: (key) => proxy.requests.filter((r) => r.key === key).length,
      leftovers: (key) => blobNames(azurite.azure, key),
      metadata: async (key) => {
        const meta = await properties(key);
        return { contentType: meta.contentType, contentDisposition: meta.contentDisposition };
      },
      requestCount: () => proxy.requests.length,
    }),
    newKey,
    largeBytes: 10 * MiB,
    smallSizes: [1234, AZURE_BLOCK_SIZE, 0],
    async afterLargeUpload(key, uploadId) {
      // Staged in blocks, at most AZURE_BLOCKS_IN_FLIGHT at once, then committed; the upload id is on the blob.
      expect(uploadId).toMatch(/^[0-9a-f-]{36}$/);
      expect(uploadsOf(key)).toEqual([
        ...Array.from({ length: Math.ceil((10 * MiB) / AZURE_BLOCK_SIZE) }, () => ['StageBlock', 201]),
        ['CommitBlockList', 201],
      ]);
      expect(proxy.peakStagesInFlight).toBeLessThanOrEqual(AZURE_BLOCKS_IN_FLIGHT);
      expect((await properties(key)).metadata).toEqual({ exportuploadid: uploadId });
    },
    afterSmallUpload(key, _size, onStartedCalls) {
      // At most one block: a single Put Blob, journaled first.
      expect(onStartedCalls).toBe(1);
      expect(uploadsOf(key)).toEqual([['PutBlob', 201]]);
    },
    afterAbortMidStream(key) {
      // Blocks were staged, none committed.
      const operations = operationsFor(key).map(([operation]) => operation);
      expect(operations.length).toBeGreaterThan(0);
      expect(new Set(operations)).toEqual(new Set(['StageBlock']));
    },
  });

  it('fails without sending anything when onStarted fails, and done() reports that failure', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: () => Promise.reject(new Error('could not record the upload id')),
    });
    const writerRejects = expect(pipeline(generated(10 * MiB).stream, upload.body)).rejects.toThrow(
      'could not record the upload id',
    );
    await expect(upload.done()).rejects.toThrow('could not record the upload id');
    await writerRejects;
    await upload.abort();
    expect(operationsFor(key)).toEqual([]);
  });

  it('abortUpload() deletes the blob a lost upload committed, never another upload’s, and is idempotent', async () => {
    const key = newKey();
    let uploadId = '';
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: (id) => Promise.resolve(void (uploadId = id)),
    });
    upload.body.end('id\r\n1\r\n');
    await upload.done(); // committed, then its process "died" before the job pointed to it

    await storage.abortUpload(key, randomUUID()); // another upload's id: the blob is not its own
    expect(await blobNames(azurite.azure, key)).toEqual([key]);
    await storage.abortUpload(key, uploadId);
    expect(await blobNames(azurite.azure, key)).toEqual([]);
    await storage.abortUpload(key, uploadId); // nothing left: done
    await storage.abortUpload(newKey(), randomUUID()); // only uncommitted blocks, or nothing: nothing to do
    await expect(storage.abortUpload(key, 'tickets.csv.0123.part')).rejects.toMatchObject({
      code: 'STORAGE.INVALID_UPLOAD_ID',
    });
  });

  it('rides out 500, 503 ServerBusy, 408, 429 and a reset connection with retries and backoff', async () => {
    const key = newKey();
    const data = generated(10 * MiB);
    proxy.failNext(1, 503, 'ServerBusy', 'StageBlock');
    proxy.failNext(1, 500, 'InternalError', 'StageBlock');
    proxy.resetNext(1, 'StageBlock');
    proxy.failNext(1, 429, 'TooManyRequests', 'CommitBlockList');
    proxy.failNext(1, 408, 'OperationTimedOut', 'CommitBlockList');
    const upload = await storage.beginUpload(key, csv);
    await pipeline(data.stream, upload.body);
    await upload.done();

    const statuses = operationsFor(key).map(([op, status]) => `${op} ${status}`);
    expect(statuses.filter((s) => s === 'StageBlock 201')).toHaveLength(
      Math.ceil((10 * MiB) / AZURE_BLOCK_SIZE),
    );
    expect(statuses).toEqual(expect.arrayContaining(['StageBlock 503', 'StageBlock 500', 'StageBlock null']));
    expect(statuses.slice(-3)).toEqual(['CommitBlockList 429', 'CommitBlockList 408', 'CommitBlockList 201']);
    expect(await sha256Of((await storage.openRead(key)).stream)).toBe(data.sha256());
  });

  it('when Azure stays busy, done() and the writer reject with an outage, and no blob appears', async () => {
    const key = newKey();
    proxy.failWhile('StageBlock', 503, 'ServerBusy');
    const upload = await storage.beginUpload(key, csv);
    const writing = pipeline(generated(Number.MAX_SAFE_INTEGER).stream, upload.body).catch(
      (error: unknown) => error,
    );
    const failure = await upload.done().catch((error: unknown) => error);
    expect(failure).toMatchObject({ statusCode: 503, code: 'ServerBusy' });
    expect(classifyFailure(failure)).toBe('outage');
    expect(await writing).toBeInstanceOf(Error);
    await upload.abort();
    // The SDK's 4 tries of each block in flight, then nothing more was sent.
    const stages = operationsFor(key);
    expect(stages.every(([op, status]) => op === 'StageBlock' && status === 503)).toBe(true);
    expect(stages.length).toBeLessThanOrEqual(4 * AZURE_BLOCKS_IN_FLIGHT);
    expect(await blobNames(azurite.azure, key)).toEqual([]);
  });

  it.each([
    [403, 'AuthenticationFailed'],
    [404, 'ContainerNotFound'],
  ])('a %s %s fails at once, not retried, as a rejection', async (status, code) => {
    const key = newKey();
    proxy.failWhile('StageBlock', status, code);
    const upload = await storage.beginUpload(key, csv);
    const writing = pipeline(generated(20 * MiB).stream, upload.body).catch((error: unknown) => error);
    const failure = await upload.done().catch((error: unknown) => error);
    expect(failure).toMatchObject({ statusCode: status, code });
    expect(classifyFailure(failure)).toBe('rejection');
    expect(await writing).toBeInstanceOf(Error);
    expect(operationsFor(key).length).toBeLessThanOrEqual(AZURE_BLOCKS_IN_FLIGHT); // one try per block
    await upload.abort();
  });

  it('a wrong account key is an authentication failure (403), a rejection', async () => {
    const wrongKey = new AzureBlobFileStorage({
      ...azuriteConfig(proxy.endpoint, azurite.container),
      connectionString:
        azuriteConfig(proxy.endpoint, azurite.container).connectionString?.replace(
          /AccountKey=[^;]+/,
          `AccountKey=${randomBytes(64).toString('base64')}`,
        ) ?? null,
    });
    const upload = await wrongKey.beginUpload(newKey(), csv);
    upload.body.end('id\r\n');
    const failure = await upload.done().catch((error: unknown) => error);
    expect(failure).toMatchObject({ statusCode: 403 });
    expect(classifyFailure(failure)).toBe('rejection');
    await expect(wrongKey.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
  });

  it('check() passes against the container and fails for a missing one or a dead endpoint', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
    const missing = new AzureBlobFileStorage(azuriteConfig(proxy.endpoint, 'no-such-container'));
    await expect(missing.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    await expect(missing.check()).rejects.toThrow('404 ContainerNotFound');

    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const dead = new AzureBlobFileStorage(azuriteConfig(`http://127.0.0.1:${port}`, azurite.container));
    await expect(dead.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
  });

  it('a call Azure holds past AZURE_REQUEST_TIMEOUT_MS fails as a TimeoutError (an outage); abort() ends calls in flight at once', async () => {
    const impatient = new AzureBlobFileStorage({
      ...azuriteConfig(proxy.endpoint, azurite.container),
      requestTimeoutMs: 1_000,
    });
    proxy.slowDown('StageBlock', 10_000);
    const key = newKey();
    const upload = await impatient.beginUpload(key, csv);
    const writing = pipeline(generated(10 * MiB).stream, upload.body).catch((error: unknown) => error);
    const startedAt = Date.now();
    const failure = await upload.done().catch((error: unknown) => error);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(classifyFailure(failure)).toBe('outage');
    expect(await writing).toBeInstanceOf(Error);

    const patient = await storage.beginUpload(newKey(), csv);
    const stopped = pipeline(generated(10 * MiB).stream, patient.body).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300)); // blocks are held by the proxy
    const abortAt = Date.now();
    await patient.abort();
    expect(Date.now() - abortAt).toBeLessThan(1_000);
    await expect(patient.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    expect(await stopped).toBeInstanceOf(Error);
  });

  it('createContainerIfMissing() creates the container once (npm run azure:container), then finds it', async () => {
    const fresh = new AzureBlobFileStorage(azuriteConfig(proxy.endpoint, `created-${Date.now()}`));
    await expect(fresh.check()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    expect(await fresh.createContainerIfMissing()).toBe(true);
    expect(await fresh.createContainerIfMissing()).toBe(false);
    await expect(fresh.check()).resolves.toBeUndefined();
  });
});
