import { type AppConfig } from '@app/infrastructure';
import { BlobServiceClient } from '@azure/storage-blob';
import { once } from 'node:events';
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { abortSocket } from './fault-proxy';
import {
  azuriteConnectionString,
  ensureContainer,
  startAzurite as startAzuriteProcess,
} from '../../tools/shared/azurite';

export type AzureConfig = AppConfig['storage']['azure'];

/** AppConfig.storage.azure for Azurite's account at `endpoint`. */
export function azuriteConfig(endpoint: string, container: string): AzureConfig {
  return {
    connectionString: azuriteConnectionString(endpoint),
    account: null,
    accountKey: null,
    container,
    requestTimeoutMs: 60_000,
  };
}

export interface AzuriteServer {
  /** http://127.0.0.1:<port> (the account is the first path segment). */
  readonly endpoint: string;
  readonly container: string;
  readonly azure: AzureConfig;
  close(): Promise<void>;
}

/** Azurite in memory on 127.0.0.1 and a free port (tools/shared/azurite.ts), with one empty container. */
export async function startAzurite(container = 'exports-test'): Promise<AzuriteServer> {
  const azurite = await startAzuriteProcess();
  const azure = azuriteConfig(azurite.endpoint, container);
  await ensureContainer(azurite.connectionString, container);
  return { endpoint: azurite.endpoint, container, azure, close: () => azurite.close() };
}

/** A client of the container (straight to `azure`'s endpoint), for checks made beside the code under test. */
export function containerOf(azure: AzureConfig) {
  return BlobServiceClient.fromConnectionString(azure.connectionString ?? '').getContainerClient(
    azure.container ?? '',
  );
}

/** Names of the committed blobs under `prefix` (uncommitted blocks are not blobs). */
export async function blobNames(azure: AzureConfig, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of containerOf(azure).listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

/** What a worker needs to write to `azure` (Azurite, or a proxy in front of it). */
export function azureEnv(azure: AzureConfig): Record<string, string> {
  return {
    STORAGE_DRIVER: 'azure',
    AZURE_STORAGE_CONNECTION_STRING: azure.connectionString ?? '',
    AZURE_CONTAINER: azure.container ?? '',
  };
}

export type BlobOperation =
  | 'StageBlock'
  | 'CommitBlockList'
  | 'PutBlob'
  | 'GetBlob'
  | 'GetBlobProperties'
  | 'DeleteBlob'
  | 'Container'
  | 'Other';

export interface BlobRequest {
  readonly operation: BlobOperation;
  readonly container: string | null;
  readonly key: string | null;
  /** The Range (x-ms-range) a read asked for, if any. */
  readonly range: string | null;
  /** Status the client got (null while unanswered; faults included). */
  status: number | null;
}

type Match = BlobOperation | ((request: BlobRequest) => boolean);

export interface BlobProxy {
  readonly endpoint: string;
  readonly requests: BlobRequest[];
  /** The most StageBlock requests that were ever in flight at once. */
  readonly peakStagesInFlight: number;
  /** Answer the next `count` matching requests with `status` and the Azure error `code`. */
  failNext(count: number, status: number, code: string, match?: Match): void;
  /** Answer every matching request with `status` and `code` until clearFaults(). */
  failWhile(match: Match, status: number, code: string): void;
  /** Hold every matching request `ms` before forwarding it (a slow Azure), until clearFaults(). */
  slowDown(match: Match, ms: number): void;
  /** Reset the connection of the next `count` matching requests, without an answer (ECONNRESET). */
  resetNext(count: number, match?: Match): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of Azurite that records every Blob request and injects faults: an Azure error answer, or a
 * connection reset. Requests are forwarded with their headers unchanged (Shared Key signs the path and headers,
 * not the host's port).
 */
export async function startBlobProxy(target: string): Promise<BlobProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const requests: BlobRequest[] = [];
  const faults: { match: Match; status: number; code: string; remaining: number }[] = [];
  const latencies: { match: Match; ms: number }[] = [];
  let stages = 0;
  let peakStages = 0;

  const matches = (match: Match, r: BlobRequest): boolean =>
    typeof match === 'function' ? match(r) : match === r.operation;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const range = req.headers['x-ms-range'] ?? req.headers.range;
    const entry: BlobRequest = {
      ...classify(req.method ?? 'GET', req.url ?? '/'),
      range: typeof range === 'string' ? range : null,
    };
    requests.push(entry);
    if (entry.operation === 'StageBlock') {
      stages += 1;
      peakStages = Math.max(peakStages, stages);
      res.once('close', () => (stages -= 1));
    }
    const fault = faults.find((f) => f.remaining > 0 && matches(f.match, entry));
    if (fault !== undefined) {
      fault.remaining -= 1;
      req.resume(); // drain an unread body (a 4 MiB block) before answering
      if (!req.readableEnded) await once(req, 'end');
      if (fault.status === 0) {
        abortSocket(req.socket);
        return;
      }
      entry.status = fault.status;
      const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${fault.code}</Code><Message>Fault injected by the test</Message></Error>`;
      res.writeHead(fault.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'x-ms-error-code': fault.code,
        'x-ms-request-id': 'proxy',
      });
      res.end(body);
      return;
    }
    const latency = latencies.find((l) => matches(l.match, entry));
    // Unref'd: a request still held when the spec ends does not keep jest alive.
    if (latency !== undefined) await new Promise((resolve) => setTimeout(resolve, latency.ms).unref());
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
    entry.status = upstreamRes.statusCode ?? 502;
    const headers = { ...upstreamRes.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    res.writeHead(entry.status, headers);
    upstreamRes.pipe(res);
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
    requests,
    get peakStagesInFlight() {
      return peakStages;
    },
    failNext(count, status, code, match = () => true) {
      faults.push({ match, status, code, remaining: count });
    },
    failWhile(match, status, code) {
      faults.push({ match, status, code, remaining: Number.POSITIVE_INFINITY });
    },
    slowDown(match, ms) {
      latencies.push({ match, ms });
    },
    resetNext(count, match = () => true) {
      faults.push({ match, status: 0, code: '', remaining: count });
    },
    clearFaults() {
      faults.length = 0;
      latencies.length = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      agent.destroy();
    },
  };
}

/** Tells a Blob REST request (path style: /account/container/key?query) by its method and query. */
function classify(method: string, url: string): Omit<BlobRequest, 'range'> {
  const { pathname, searchParams: q } = new URL(url, 'http://proxy');
  const [, , container, ...rest] = pathname.split('/');
  const key = rest.length === 0 || rest.join('/') === '' ? null : rest.map(decodeURIComponent).join('/');
  const comp = q.get('comp');
  const operation = ((): BlobOperation => {
    if (q.get('restype') === 'container') return 'Container';
    if (key === null) return 'Other';
    if (method === 'PUT' && comp === 'block') return 'StageBlock';
    if (method === 'PUT' && comp === 'blocklist') return 'CommitBlockList';
    if (method === 'PUT' && comp === null) return 'PutBlob';
    if (method === 'GET' && comp === null) return 'GetBlob';
    if (method === 'HEAD') return 'GetBlobProperties';
    if (method === 'DELETE') return 'DeleteBlob';
    return 'Other';
  })();
  return { operation, container: container ?? null, key, status: null };
}
