import { type AppConfig } from '@app/infrastructure';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of s3rver's API used here (the package ships no type declarations). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  configureBuckets: { name: string; configs: string[] }[];
}) => S3rverInstance;
const S3rver = createRequire(__filename)('s3rver') as S3rverConstructor;

export type S3Config = AppConfig['storage']['s3'];

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** AppConfig.storage.s3 for this server (s3rver's fixed credentials, path-style addressing). */
  readonly s3: S3Config;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 and a free port, storing into a fresh temp directory, with one empty bucket. */
export async function startS3Server(bucket = 'exports-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    s3: {
      endpoint,
      region: 'us-east-1',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      requestTimeoutMs: 60_000,
    },
    async close() {
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export type S3Operation =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'HeadBucket'
  | 'Other';

export interface ProxiedRequest {
  readonly operation: S3Operation;
  readonly key: string | null;
  readonly uploadId: string | null;
  readonly partNumber: number | null;
}

export type RecordedRequest = ProxiedRequest & { status: number | null };

export interface MultipartEvent {
  readonly type: 'create' | 'complete' | 'abort';
  readonly key: string;
  readonly uploadId: string;
}

type Match = S3Operation | ((request: ProxiedRequest) => boolean);

export interface RecordingProxy {
  readonly endpoint: string;
  /** Multipart lifecycle in arrival order. */
  readonly events: MultipartEvent[];
  /** Every request in arrival order, with the status the client got (null while unanswered; faults included). */
  readonly requests: RecordedRequest[];
  /** Upload ids created but neither completed nor aborted. */
  unfinishedUploads(): string[];
  /** Answer the next `count` matching requests with `status` (503 SlowDown, otherwise InternalError). */
  failNext(count: number, status: number, match?: Match): void;
  /** Answer every matching request with `status` until clearFaults(). */
  failWhile(match: Match, status: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of s3rver that records the multipart lifecycle and injects faults. s3rver answers
 * neither ListMultipartUploads (501) nor AbortMultipartUpload (405), so the proxy answers Abort itself like S3:
 * 204 for an open upload, NoSuchUpload for one already aborted, completed or unknown; later UploadPart and
 * CompleteMultipartUpload of an aborted upload get NoSuchUpload too. Requests are forwarded with their headers
 * unchanged (the SigV4 signature covers the Host header, which s3rver checks).
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const events: MultipartEvent[] = [];
  const requests: RecordedRequest[] = [];
  const states = new Map<string, 'open' | 'completed' | 'aborted'>();
  const faults: { match: Match; status: number; remaining: number }[] = [];

  const matches = (match: Match, r: ProxiedRequest): boolean =>
    typeof match === 'function' ? match(r) : match === r.operation;

  function takeFault(r: ProxiedRequest): number | null {
    const fault = faults.find((f) => f.remaining > 0 && matches(f.match, r));
    if (fault === undefined) return null;
    fault.remaining -= 1;
    return fault.status;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = classify(req.method ?? 'GET', req.url ?? '/');
    const entry: RecordedRequest = { ...r, status: null };
    requests.push(entry);
    const reply = async (status: number, body = ''): Promise<void> => {
      req.resume(); // drain an unread body (e.g. an 8 MiB part) before answering
      if (!req.readableEnded) await once(req, 'end');
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };

    const fault = takeFault(r);
    if (fault !== null)
      return reply(
        fault,
        errorXml(fault === 503 ? 'SlowDown' : 'InternalError', 'Fault injected by the test'),
      );
    const state = r.uploadId === null ? undefined : states.get(r.uploadId);
    if (r.operation === 'AbortMultipartUpload') {
      if (state !== 'open') return reply(404, errorXml('NoSuchUpload', 'The upload does not exist'));
      states.set(r.uploadId ?? '', 'aborted');
      events.push({ type: 'abort', key: r.key ?? '', uploadId: r.uploadId ?? '' });
      return reply(204);
    }
    if ((r.operation === 'UploadPart' || r.operation === 'CompleteMultipartUpload') && state !== 'open')
      return reply(404, errorXml('NoSuchUpload', 'The upload does not exist'));

    const forwarded = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    req.pipe(forwarded);
    const [upstreamRes] = (await once(forwarded, 'response')) as [IncomingMessage];
    const status = upstreamRes.statusCode ?? 502;
    const headers = { ...upstreamRes.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    entry.status = status;
    if (r.operation !== 'CreateMultipartUpload' && r.operation !== 'CompleteMultipartUpload') {
      res.writeHead(status, headers);
      upstreamRes.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of upstreamRes) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (status === 200 && r.operation === 'CreateMultipartUpload') {
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString())?.[1] ?? '';
      states.set(uploadId, 'open');
      events.push({ type: 'create', key: r.key ?? '', uploadId });
    } else if (status === 200 && r.uploadId !== null) {
      states.set(r.uploadId, 'completed');
      events.push({ type: 'complete', key: r.key ?? '', uploadId: r.uploadId });
    }
    delete headers['transfer-encoding'];
    res.writeHead(status, { ...headers, 'content-length': body.length });
    res.end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    requests,
    unfinishedUploads: () => [...states].filter(([, s]) => s === 'open').map(([id]) => id),
    failNext(count, status, match = () => true) {
      faults.push({ match, status, remaining: count });
    },
    failWhile(match, status) {
      faults.push({ match, status, remaining: Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      agent.destroy();
    },
  };
}

/** Tells an S3 REST request (path style: /bucket/key?query) by its method and query. */
function classify(method: string, url: string): ProxiedRequest {
  const { pathname, searchParams: q } = new URL(url, 'http://proxy');
  const [, , ...rest] = pathname.split('/');
  const key = rest.length === 0 || rest.join('/') === '' ? null : rest.map(decodeURIComponent).join('/');
  const uploadId = q.get('uploadId');
  const partNumber = q.has('partNumber') ? Number(q.get('partNumber')) : null;
  const operation = ((): S3Operation => {
    if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
    if (method === 'POST' && uploadId !== null) return 'CompleteMultipartUpload';
    if (method === 'PUT' && uploadId !== null && partNumber !== null) return 'UploadPart';
    if (method === 'DELETE' && uploadId !== null) return 'AbortMultipartUpload';
    if (key === null) return method === 'HEAD' ? 'HeadBucket' : 'Other';
    if (method === 'PUT' && [...q.keys()].every((k) => k === 'x-id')) return 'PutObject';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'DELETE') return 'DeleteObject';
    return 'Other';
  })();
  return { operation, key, uploadId, partNumber };
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>proxy</RequestId></Error>`;
}
