/**
 * Redis database 15 (the cleanup CLI's queue). Issue #15 (h): downloads under pressure on the S3 driver (s3rver
 * behind a FaultProxy that counts the API's S3 sockets).
 *
 * A slow reader is a raw socket that reads the response head and then nothing more: to the server, a client
 * reading 1 byte/s looks the same (its TCP window stays shut, so nothing moves on the socket for hours).
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { S3FileStorage } from '@app/infrastructure/sdk-adapters';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { HTTP_SERVER_TIMEOUTS } from '../../apps/api/src/create-api-app';
import { bearer, cancelActiveJobs, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { runCleanupCli, settleOtherTenantsUploads } from '../support/cleanup';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { FaultProxy } from '../support/fault-proxy';
import { waitUntil } from '../support/job-polling';
import { s3Env } from '../support/s3-bucket';
import { startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb } from '../support/worker';

jest.setTimeout(180_000);

const READERS = 60;
/** Bigger than what the socket buffers between s3rver, the API and a reader hold (about 9 MB on loopback). */
const BIG_FILE_BYTES = 24 * 1024 * 1024;
/** The API's idle timeout during the pressure test (production: HTTP_SERVER_TIMEOUTS.idleMs). */
const TEST_IDLE_MS = 5_000;

interface RawDownload {
  readonly socket: Socket;
  /** Everything received so far (head and body). */
  bytes(): Buffer;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** Reads on at full speed. */
  resume(): void;
}

/** GET over a raw socket; with `stall`, stops reading once the first bytes arrived. */
function rawGet(port: number, path: string, token: string, stall: boolean): RawDownload {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closed = false;
  let stalled = stall;
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
  );
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (stalled) socket.pause();
  });
  socket.on('error', () => undefined); // a reset by the server ends it like a close
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void done.then(() => (closed = true));
  return {
    socket,
    bytes: () => Buffer.concat(chunks),
    closed: done,
    isClosed: () => closed,
    resume() {
      stalled = false;
      socket.resume();
    },
  };
}

/** Status, Content-Length and body of a raw response. */
function parseResponse(raw: Buffer): { status: number; contentLength: number; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no response head');
  const head = raw.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentLength = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
  return { status, contentLength, body: raw.subarray(end + 4) };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('downloads under pressure (S3 driver)', () => {
  let server: S3TestServer;
  let s3proxy: FaultProxy;
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  let token: string;
  let port: number;
  let bigContent: string;
  let s3: S3TestServer['s3'];
  const readers: RawDownload[] = [];

  beforeAll(async () => {
    server = await startS3Server();
    s3proxy = await FaultProxy.forUrl(server.endpoint);
    s3 = { ...server.s3, endpoint: s3proxy.rewrite(server.endpoint).replace(/\/$/, '') };
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    api = await startApi({ storage: new S3FileStorage(s3), env: s3Env(s3) });
    token = tokenFor(api.config, tenant, 'admin');
    port = Number(new URL(api.baseUrl).port);
    const line = 'x'.repeat(1023) + '\n';
    bigContent = 'id,title\n' + line.repeat(Math.ceil(BIG_FILE_BYTES / line.length));
  });

  afterAll(async () => {
    for (const reader of readers) reader.socket.destroy();
    await cancelActiveJobs(pool, [tenant.id]);
    await api?.close();
    await dataSource?.destroy();
    await pool?.end();
    await s3proxy?.close();
    await server?.close();
  });

  it(`${READERS} stalled readers block neither other downloads nor /health/ready, and are cut when idle`, async () => {
    const httpServer = api.app.getHttpServer();
    expect({
      headersTimeout: httpServer.headersTimeout,
      requestTimeout: httpServer.requestTimeout,
      keepAliveTimeout: httpServer.keepAliveTimeout,
      timeout: httpServer.timeout,
    }).toEqual({
      headersTimeout: HTTP_SERVER_TIMEOUTS.headersMs,
      requestTimeout: HTTP_SERVER_TIMEOUTS.requestMs,
      keepAliveTimeout: HTTP_SERVER_TIMEOUTS.keepAliveMs,
      timeout: HTTP_SERVER_TIMEOUTS.idleMs,
    });
    httpServer.timeout = TEST_IDLE_MS; // sockets accepted from now on
    const big = await insertJob(dataSource, api.storage, {
      tenant,
      requester: 'admin',
      status: 'completed',
      content: bigContent,
    });
    const smallContent = 'id,title\r\n1,small\r\n';
    const small = await insertJob(dataSource, api.storage, {
      tenant,
      requester: 'admin',
      status: 'completed',
      content: smallContent,
    });

    const startedAt = Date.now();
    for (let i = 0; i < READERS; i++)
      readers.push(rawGet(port, `/export-jobs/${big.id}/download`, token, true));
    await waitUntil(
      `${READERS} downloads started, each holding an S3 socket`,
      () =>
        s3proxy.openConnections >= READERS && readers.every((reader) => reader.bytes().includes('\r\n\r\n')),
      30_000,
    );
    expect(readers.map((reader) => parseResponse(reader.bytes()).status)).toEqual(Array(READERS).fill(200));

    let at = Date.now();
    const ready = await request(api.baseUrl).get('/health/ready');
    const readyMs = Date.now() - at;
    at = Date.now();
    const other = await request(api.baseUrl)
      .get(`/export-jobs/${small.id}/download`)
      .set(bearer(token))
      .buffer(true);
    const otherMs = Date.now() - at;
    expect(ready.status).toBe(200);
    expect(other.status).toBe(200);
    expect(other.text).toBe(smallContent);
    expect(readers.filter((reader) => reader.isClosed())).toEqual([]);

    // The server cut the idle sockets and closed their S3 streams (a paused client sees the close only once it
    // reads what its buffers hold).
    await waitUntil(
      'the idle downloads are cut and their S3 sockets closed',
      () => s3proxy.openConnections <= 5,
      TEST_IDLE_MS + 30_000,
    );
    const cutMs = Date.now() - startedAt;
    for (const reader of readers) reader.resume();
    await Promise.all(readers.map((reader) => reader.closed));
    const responses = readers.map((reader) => parseResponse(reader.bytes()));
    expect(responses.map((r) => r.status)).toEqual(Array(READERS).fill(200));
    // Cut: a body shorter than its Content-Length, so no client takes it for a whole file. A reader whose kernel
    // buffers drained the whole file before it paused simply finished: its bytes are the file's.
    const whole = responses.filter((r) => r.body.length === r.contentLength);
    for (const r of whole) expect(r.body.toString('utf8')).toBe(bigContent);
    expect(responses.every((r) => r.body.length <= r.contentLength)).toBe(true);
    expect(READERS - whole.length).toBeGreaterThanOrEqual(READERS - 5);
    process.stdout.write(
      `downloads: with ${READERS} stalled readers /health/ready 200 in ${readyMs} ms, another download in ` +
        `${otherMs} ms; all cut ${cutMs} ms after they started (idle timeout ${TEST_IDLE_MS} ms), ` +
        `${s3proxy.openConnections} S3 sockets left open\n`,
    );
  });

  it('a cleanup expiring the file mid-download: the download ends intact or broken, never short; then 410', async () => {
    api.app.getHttpServer().timeout = HTTP_SERVER_TIMEOUTS.idleMs;
    const job = await insertJob(dataSource, api.storage, {
      tenant,
      requester: 'admin',
      status: 'completed',
      content: bigContent,
    });
    const path = `/export-jobs/${job.id}/download`;
    const reader = rawGet(port, path, token, true);
    readers.push(reader);
    await waitUntil('the download started', () => reader.bytes().length > 0, 10_000);
    const t0 = Date.now();
    const step = (what: string): void =>
      void process.stdout.write(`downloads: ${what} at ${Date.now() - t0} ms\n`);

    await pool.query(`UPDATE export_jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      job.id,
    ]);
    await settleOtherTenantsUploads(pool, tenant.id);
    const run = await runCleanupCli({ REDIS_URL: redisUrlWithDb(15), ...s3Env(s3) });
    step(`cleanup exited ${run.code}`);
    expect(run.code).toBe(0);
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM export_jobs WHERE id = $1', [
      job.id,
    ]);
    expect(rows[0].status).toBe('expired');

    reader.resume();
    await reader.closed;
    step('download closed');
    const { status, contentLength, body } = parseResponse(reader.bytes());
    expect(status).toBe(200);
    expect(contentLength).toBe(Buffer.byteLength(bigContent));
    const intact = body.length === contentLength;
    if (intact) expect(sha256(body)).toBe(sha256(Buffer.from(bigContent)));
    else expect(body.length).toBeLessThan(contentLength);

    const next = await request(api.baseUrl).get(path).set(bearer(token));
    expect(next.status).toBe(410);
    process.stdout.write(
      `downloads: expired mid-download -> ${intact ? 'finished intact' : `broken after ${body.length} bytes`}; ` +
        `next request ${next.status}\n`,
    );
  });
});
