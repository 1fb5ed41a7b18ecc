import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findTokenSubject, readConfig, signAccessToken } from '@app/infrastructure';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { environmentOf } from './demo/child-environment';
import { type ExportJobResource, ExportServiceClient } from './shared/http-client';
import { AppProcess, freePort } from './shared/processes';

/**
 * `node dist/tools/status-load.js [--seconds 10] [--connections 20] [--idle-only]`: the cost of polling
 * GET /export-jobs/:id (issue 13, item 4), measured with autocannon against the built API on DATABASE_URL and
 * REDIS_URL (seed them first: `npm run db:seed -- --tickets 1000000`). It polls one completed job as
 * admin@acme.test, first with no export running (idle), then while a worker exports every acme ticket, again and
 * again so an export runs the whole time: each time a plain GET (200 + body) and a GET with If-None-Match (304).
 * Development only; the machine's other load shows in the figures, so compare runs made back to back.
 */
const READY_MS = 60_000;
const STOP_GRACE_MS = 15_000;
const LOG_DIR = join('var', 'status-load');

interface Figures {
  readonly phase: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statuses: string;
  readonly errors: number;
  /** CPU time (user + system) the API process spent per request: less noisy than req/s on a shared machine. */
  readonly apiCpuMsPerRequest: number;
}

/** User + system CPU milliseconds of a process so far (Linux /proc; clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function poll(
  phase: string,
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  apiPid: number,
): Promise<Figures> {
  const cpuBefore = await cpuMsOf(apiPid);
  const result = await autocannon({ url, headers, connections, duration: seconds });
  const cpuMs = (await cpuMsOf(apiPid)) - cpuBefore;
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, stat]) => `${code}x${stat.count ?? 0}`)
    .join(' ');
  return {
    phase,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    apiCpuMsPerRequest: result.requests.total === 0 ? 0 : cpuMs / result.requests.total,
  };
}

/** What the background exports did: rows of the finished ones, and where the last one was when polling stopped. */
interface Exporting {
  rows: number;
  last: string;
}

/** Keeps one export of every acme ticket running until `stop` aborts. */
async function keepExporting(client: ExportServiceClient, stop: AbortSignal): Promise<Exporting> {
  const done: Exporting = { rows: 0, last: 'none' };
  const onUpdate = (job: ExportJobResource): void => {
    done.last = `${job.status}/${job.stage ?? '-'} ${job.progress.rowsExported} of ${job.progress.totalRows ?? '?'} rows`;
  };
  while (!stop.aborted) {
    let id: string | null = null;
    try {
      id = (await client.createExportJob({ format: 'csv' })).id;
      done.rows += (await client.waitForExportJob(id, { interval: 250, onUpdate })).file.rowCount;
    } catch (error) {
      if (!stop.aborted) throw error;
      if (id !== null) await client.cancelExportJob(id, AbortSignal.timeout(5000));
    }
  }
  return done;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      'idle-only': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const config = readConfig();
  const secret = config.auth.jwtSecret ?? randomBytes(32).toString('hex');
  const port = await freePort();
  const env = {
    ...environmentOf({
      ...config,
      port,
      environment: config.auth.jwtSecret === null ? 'demo' : config.environment,
      auth: { jwtSecret: secret },
      storage: { ...config.storage, localDir: resolve(config.storage.localDir) },
    }),
    NO_COLOR: '1',
  };
  await mkdir(LOG_DIR, { recursive: true });
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  const subject = await findTokenSubject(pool, 'admin@acme.test').finally(() => pool.end());
  if (!subject.found) throw new Error('admin@acme.test not found: run npm run db:seed first');
  const token = signAccessToken({ sub: subject.userId, tid: subject.tenantId }, secret, 3600);
  const api = AppProcess.start('api', { env, logFile: join(LOG_DIR, 'api.log') });
  const worker = AppProcess.start('worker', { env, logFile: join(LOG_DIR, 'worker.log') });
  const results: Figures[] = [];
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await api.waitForHttp(`${baseUrl}/health/ready`, READY_MS);
    const client = new ExportServiceClient(baseUrl, token);
    const small = await client.createExportJob({ format: 'csv', search: 'zzz-no-such-ticket' });
    await client.waitForExportJob(small.id, { interval: 100 });
    const { etag } = await client.getExportJob(small.id, null);
    const pid = api.child.pid ?? 0;
    const url = `${baseUrl}/export-jobs/${small.id}`;
    const auth = { authorization: `Bearer ${token}` };
    const conditional = { ...auth, 'if-none-match': etag ?? '' };
    results.push(await poll('idle 200', url, auth, seconds, connections, pid));
    results.push(await poll('idle 304', url, conditional, seconds, connections, pid));
    if (!values['idle-only']) {
      const stop = new AbortController();
      const exporting = keepExporting(new ExportServiceClient(baseUrl, token, stop.signal), stop.signal);
      await new Promise((done) => setTimeout(done, 1500));
      results.push(await poll('export 200', url, auth, seconds, connections, pid));
      results.push(await poll('export 304', url, conditional, seconds, connections, pid));
      stop.abort();
      const { rows, last } = await exporting.catch((error: unknown) => {
        throw new Error(`the background export failed: ${String(error)}`);
      });
      process.stdout.write(
        `status-load: background exports: ${rows} rows in finished ones; the last one was ${last} when polling stopped\n`,
      );
    }
  } finally {
    await Promise.all([api.stop(STOP_GRACE_MS), worker.stop(STOP_GRACE_MS)]);
  }
  process.stdout.write('phase         req/s  p50 ms  p99 ms  errors  API CPU ms/req  statuses\n');
  for (const r of results)
    process.stdout.write(
      `${r.phase.padEnd(12)} ${String(r.requestsPerSecond).padStart(6)} ${String(r.p50Ms).padStart(7)} ` +
        `${String(r.p99Ms).padStart(7)} ${String(r.errors).padStart(7)} ${r.apiCpuMsPerRequest.toFixed(3).padStart(15)}  ${r.statuses}\n`,
    );
}

main().catch((error: unknown) => {
  process.stderr.write(`status-load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
