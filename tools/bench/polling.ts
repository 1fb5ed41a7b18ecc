import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import type { Pool } from 'pg';
import { ExportServiceClient } from '../shared/http-client';
import { flushQueue, log, startProcess, startWorker, stopChild, tokenOf, viewOf } from './environment';
import { ExportChain } from './export-chain';
import type { PollingFigure, RevocationFigure } from './figures';
import { ensurePoller, probeRevocation } from './revocation';
import { rawHeader } from './raw-header';
import { sleep } from './stats';

export interface PollingOptions {
  readonly seconds: number;
  readonly connections: number;
}

/** A polling client's requests before it reloads the page (and sends no ETag again). */
const POLLS_PER_VISIT = 20;

/** autocannon's per-connection context: the path and ETag of the connection's last answer. */
type Context = { path?: string; etag?: string };

/**
 * Phase 3: autocannon on loopback, `connections` connections for `seconds` each, while acme's "All tickets" (the
 * largest export) runs on one worker, again and again (ExportChain):
 * 1. GET /export-jobs/:id of the running job as its requester (an admin); meanwhile the revocation probe;
 * 2. the same with If-None-Match: each connection sends the ETag of its last answer, as a polling client does
 *    (304 until the job's progress changes, every 500 ms);
 * 3. GET /health/live, the framework's ceiling on this machine, for reference.
 */
export async function runPolling(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  children: ChildProcess[],
  options: PollingOptions,
): Promise<{ polling: PollingFigure[]; revocation: RevocationFigure }> {
  await flushQueue(String(env.REDIS_URL));
  const api = await startProcess('api', env, null, children);
  const worker = await startWorker(env, children);
  const view = await viewOf(pool, 'acme');
  const poller = await ensurePoller(pool, view.tenantId);
  const base = `http://127.0.0.1:${api.port}`;
  const adminToken = tokenOf(env, view);
  const pollerToken = tokenOf(env, { userId: poller.userId, tenantId: view.tenantId });
  const chain = new ExportChain(pool, new ExportServiceClient(base, adminToken), { viewId: view.viewId });
  const polling: PollingFigure[] = [];
  try {
    await chain.start();
    const jobPath = (): string => `/export-jobs/${chain.current}`;
    const auth = { authorization: `Bearer ${adminToken}` };
    const probe = async (): Promise<RevocationFigure> => {
      await sleep((options.seconds * 1000) / 4);
      return probeRevocation(pool, poller.roleId, async () => {
        const response = await fetch(`${base}${jobPath()}`, {
          headers: { authorization: `Bearer ${pollerToken}` },
        });
        await response.body?.cancel();
        return response.status;
      });
    };
    const [status, revoked] = await Promise.all([
      load(chain, 'status', base, options, [
        { method: 'GET', setupRequest: (request) => ({ ...request, path: jobPath(), headers: auth }) },
      ]),
      probe(),
    ]);
    polling.push(status);
    const conditional: autocannon.Request = {
      method: 'GET',
      setupRequest: (request, context) => {
        const last = context as Context;
        const path = jobPath();
        const etag = last.path === path ? (last.etag ?? null) : null;
        last.path = path;
        return { ...request, path, headers: { ...auth, ...(etag ? { 'if-none-match': etag } : {}) } };
      },
      onResponse: (_status, _body, context, headers) => {
        const etag = rawHeader(headers, 'etag');
        if (etag !== undefined) (context as Context).etag = etag;
      },
    };
    // autocannon clears a connection's context each time it has gone through its list of requests: a list of one
    // would never send an ETag. Each connection polls POLLS_PER_VISIT times, the first without one, then starts over.
    polling.push(
      await load(
        chain,
        'status-if-none-match',
        base,
        options,
        Array.from({ length: POLLS_PER_VISIT }, () => conditional),
      ),
    );
    polling.push(await load(chain, 'health-live', base, options, [{ method: 'GET', path: '/health/live' }]));
    log(`polling: ${chain.jobIds.length} exports of acme's "All tickets" ran during the load`);
    return { polling, revocation: revoked };
  } finally {
    await chain.stop();
    await stopChild(worker.child);
    await stopChild(api.child);
  }
}

async function load(
  chain: ExportChain,
  name: PollingFigure['name'],
  base: string,
  options: PollingOptions,
  requests: autocannon.Request[],
): Promise<PollingFigure> {
  const rowsBefore = await chain.rowsExported();
  const result = await autocannon({
    url: base,
    connections: options.connections,
    duration: options.seconds,
    requests,
  });
  const duringExportRows = (await chain.rowsExported()) - rowsBefore;
  const figure: PollingFigure = {
    name,
    path: name === 'health-live' ? '/health/live' : '/export-jobs/:id',
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    notModified: result.statusCodeStats?.['304']?.count ?? 0,
    duringExportRows,
  };
  log(
    `polling ${name}: ${Math.round(figure.requestsPerSecond)} req/s, p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms, errors ${figure.errors}, non-2xx ${figure.non2xx}`,
  );
  return figure;
}
