import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildTicketQuery, FORMAT_FILE_TYPES } from '@app/domain';
import {
  type AppConfig,
  createFileStorage,
  exportProjection,
  loadConfig,
  migrateDatabase,
  nastyStrings,
  readConfig,
  seedDatabase,
  signAccessToken,
  TicketQueryBuilder,
} from '@app/infrastructure';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import S3rver from 's3rver';
import { parseArgs, runCli, UsageError } from '../apps/cli/src/cli';
import { ensureContainer, startAzurite } from './shared/azurite';
import { type ExportEstimateResource, ExportServiceClient } from './shared/http-client';
import { AppProcess, freePort } from './shared/processes';

const USAGE = 'usage: npm run bench -- [--tickets N] [--drivers local,s3,azure] [--formats csv,xlsx]';
const DRIVERS = ['local', 's3', 'azure'] as const;
type Driver = (typeof DRIVERS)[number];
const AZURE_CONTAINER = 'bench';
/** Formats measured on the local driver only: their cost is the encoding, which the storage does not change. */
const LOCAL_ONLY_FORMATS: readonly BenchFormat[] = ['xlsx'];

type BenchFormat = 'csv' | 'xlsx';
const VIEW = 'All tickets';

/** POST /export-jobs/estimate of a view, timed over HTTP (the API's own latency plus the loopback). */
interface EstimateMeasurement {
  readonly tenant: string;
  readonly view: string;
  readonly estimate: ExportEstimateResource;
  readonly latenciesMs: readonly number[];
  /** The size of the CSV file the service then wrote for the same view (the "All tickets" views only). */
  csvBytes: number | null;
}

const ESTIMATE_VIEWS = [VIEW, 'Open tickets', 'Billing and refunds'];
const ESTIMATE_CALLS = 9;

interface Measurement {
  readonly driver: Driver;
  readonly format: BenchFormat;
  readonly rows: number;
  readonly baselineRowsPerSecond: number;
  readonly serviceRowsPerSecond: number;
  readonly peakRssMb: number;
}

/**
 * CONTRACT §8. Seeds N tickets (acme) and N/10 (globex) in `<database>_bench`, then for each storage driver and
 * both sizes measures (1) the baseline, raw `COPY (the export's query) TO STDOUT (FORMAT csv)` streamed into the
 * same sink, and (2) the service end to end: POST /export-jobs to `completed` with the file in storage, through a
 * real API and a fresh worker process, whose peak RSS (VmHWM) is read when the job completes.
 */
runCli('bench', async () => {
  const { values } = parseArgs(process.argv.slice(2), {
    tickets: { type: 'string' },
    drivers: { type: 'string' },
    formats: { type: 'string' },
  });
  const tickets = Number(values.tickets ?? 1_000_000);
  if (!Number.isInteger(tickets) || tickets < 10)
    throw new UsageError(`--tickets takes a whole number >= 10 (${USAGE})`);
  const drivers = (values.drivers ?? 'local,s3').split(',') as Driver[];
  if (drivers.some((d) => !DRIVERS.includes(d)))
    throw new UsageError(`--drivers takes local, s3 and/or azure (${USAGE})`);
  const formats = (values.formats ?? 'csv,xlsx').split(',') as BenchFormat[];
  if (formats.some((f) => f !== 'csv' && f !== 'xlsx'))
    throw new UsageError(`--formats takes csv and/or xlsx (${USAGE})`);

  const base = readConfig();
  const url = new URL(base.databaseUrl);
  url.pathname = `${url.pathname.replace(/_bench$/, '')}_bench`;
  const databaseUrl = url.toString();
  log(`database ${url.pathname.slice(1)}: migrating and seeding ${tickets.toLocaleString('en-US')} tickets`);
  await migrateDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const work = await mkdtemp(join(tmpdir(), 'export-bench-'));
  const s3rver = drivers.includes('s3') ? await startS3rver(join(work, 's3')) : null;
  const azurite = drivers.includes('azure') ? await startAzurite() : null;
  const children: ChildProcess[] = [];
  try {
    if (azurite) await ensureContainer(azurite.connectionString, AZURE_CONTAINER);
    const seeded = await seedDatabase(pool, { tickets, reset: true, nastyStrings: nastyStrings() });
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);
    await pool.query('VACUUM ANALYZE tickets');
    const results: Measurement[] = [];
    const estimates: EstimateMeasurement[] = [];
    for (const driver of drivers) {
      const env = benchEnv(base, databaseUrl, driver, work, {
        s3Endpoint: s3rver?.endpoint ?? null,
        azureConnectionString: azurite?.connectionString ?? null,
      });
      const config = loadConfig(env);
      await flushQueue(String(env.REDIS_URL));
      const api = await startProcess('api', env, null, children);
      for (const tenant of ['globex', 'acme']) {
        const target = await viewOf(pool, tenant);
        if (driver === drivers[0]) estimates.push(...(await measureEstimates(pool, env, target, api.port)));
        const baseline = await measureBaseline(pool, config, target, driver);
        for (const format of formats) {
          if (driver !== 'local' && LOCAL_ONLY_FORMATS.includes(format)) continue;
          // A fresh worker a format: its peak RSS is this export's alone.
          const worker = await startProcess('worker', env, /worker started/, children);
          const service = await measureService(env, target, api.port, format);
          const peakRssMb = await peakRss(worker.child);
          const estimated = estimates.find((e) => e.tenant === target.tenantId && e.view === VIEW);
          if (format === 'csv' && estimated && estimated.csvBytes === null)
            estimated.csvBytes = service.bytes;
          worker.child.kill('SIGTERM');
          results.push({
            driver,
            format,
            rows: service.rows,
            baselineRowsPerSecond: baseline.rows / baseline.seconds,
            serviceRowsPerSecond: service.rows / service.seconds,
            peakRssMb,
          });
          log(
            `${driver} ${format} ${tenant}: ${service.rows} rows, baseline ${baseline.seconds.toFixed(2)} s, service ${service.seconds.toFixed(2)} s, peak RSS ${peakRssMb.toFixed(0)} MB`,
          );
        }
      }
      api.child.kill('SIGTERM');
    }
    printTable(results);
    printEstimates(estimates);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await s3rver?.close();
    await azurite?.close();
    await pool.end();
    await rm(work, { recursive: true, force: true });
  }
});

interface BenchView {
  readonly tenantId: string;
  readonly viewId: string;
  readonly userId: string;
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
}

async function viewOf(pool: Pool, tenant: string): Promise<BenchView> {
  const { rows } = await pool.query<BenchView>(
    `SELECT v.tenant_id AS "tenantId", v.id AS "viewId", u.id AS "userId", v.columns, v.conditions, v.sort
       FROM ticket_views v JOIN tenants t ON t.id = v.tenant_id JOIN users u ON u.tenant_id = t.id AND u.email = $2
      WHERE t.slug = $1 AND v.name = $3`,
    [tenant, `admin@${tenant}.test`, VIEW],
  );
  return rows[0];
}

/** The export's own query, as raw CSV from Postgres, into the driver's sink: what no service can beat. */
async function measureBaseline(
  pool: Pool,
  config: AppConfig,
  view: BenchView,
  driver: Driver,
): Promise<{ rows: number; seconds: number }> {
  const query = buildTicketQuery(view, {});
  const requestedAt = new Date();
  const builder = new TicketQueryBuilder(query, {
    tenantId: view.tenantId,
    me: view.userId,
    now: requestedAt,
    timezone: 'UTC',
    cutoff: requestedAt,
  });
  const compiled = builder.copySelect(exportProjection('csv', query.columns));
  const client = await pool.connect();
  const started = process.hrtime.bigint();
  let rows: number;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(compiled.setup.text, compiled.setup.values);
    const copy = client.query(copyTo(`COPY (${compiled.text}) TO STDOUT (FORMAT csv)`));
    const key = `bench/baseline-${randomBytes(4).toString('hex')}.csv`;
    if (driver === 'local') {
      await mkdir(config.storage.localDir, { recursive: true });
      await pipeline(copy, createWriteStream(join(config.storage.localDir, 'baseline.csv')));
    } else {
      const storage = await createFileStorage(config);
      const upload = await storage.beginUpload(key, {
        contentType: FORMAT_FILE_TYPES.csv.contentType,
        fileName: 'baseline.csv',
      });
      await pipeline(copy, upload.body);
      await upload.done();
    }
    rows = Number(copy.rowCount);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return { rows, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** POST /export-jobs as the tenant's admin, poll until completed: the time a user waits. */
async function measureService(
  env: NodeJS.ProcessEnv,
  view: BenchView,
  port: number,
  format: BenchFormat,
): Promise<{ rows: number; seconds: number; bytes: number }> {
  const token = signAccessToken({ sub: view.userId, tid: view.tenantId }, String(env.AUTH_JWT_SECRET), 3600);
  const client = new ExportServiceClient(`http://127.0.0.1:${port}`, token);
  const started = process.hrtime.bigint();
  const { id } = await client.createExportJob({ viewId: view.viewId, format });
  const job = await client.waitForExportJob(id, { interval: 50 });
  return {
    rows: job.file.rowCount,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    bytes: job.file.sizeBytes,
  };
}

/**
 * POST /export-jobs/estimate for a few views of the tenant, each ESTIMATE_CALLS times after one warm-up call (the
 * first request of a process pays for its connections): the latency a user sees before the export starts.
 */
async function measureEstimates(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  view: BenchView,
  port: number,
): Promise<EstimateMeasurement[]> {
  const token = signAccessToken({ sub: view.userId, tid: view.tenantId }, String(env.AUTH_JWT_SECRET), 3600);
  const client = new ExportServiceClient(`http://127.0.0.1:${port}`, token);
  const { rows: named } = await pool.query<{ id: string; name: string }>(
    'SELECT id, name FROM ticket_views WHERE tenant_id = $1 AND name = ANY($2::text[])',
    [view.tenantId, ESTIMATE_VIEWS],
  );
  const measured: EstimateMeasurement[] = [];
  for (const { id, name } of named) {
    let estimate = await client.estimateExport({ viewId: id, format: 'csv' });
    const latenciesMs: number[] = [];
    for (let i = 0; i < ESTIMATE_CALLS; i++) {
      const started = process.hrtime.bigint();
      estimate = await client.estimateExport({ viewId: id, format: 'csv' });
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    measured.push({ tenant: view.tenantId, view: name, estimate, latenciesMs, csvBytes: null });
  }
  return measured;
}

function benchEnv(
  base: AppConfig,
  databaseUrl: string,
  driver: Driver,
  work: string,
  servers: { s3Endpoint: string | null; azureConnectionString: string | null },
): NodeJS.ProcessEnv {
  const { s3Endpoint, azureConnectionString } = servers;
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '3000',
    DATABASE_URL: databaseUrl,
    REDIS_URL: `${base.redisUrl.replace(/\/\d*$/, '')}/14`,
    AUTH_JWT_SECRET: randomBytes(24).toString('hex'),
    STORAGE_DRIVER: driver,
    STORAGE_LOCAL_DIR: join(work, 'local'),
    EXPORT_WORKER_CONCURRENCY: '1',
  };
  if (driver === 's3' && s3Endpoint) {
    Object.assign(env, {
      S3_ENDPOINT: s3Endpoint,
      S3_BUCKET: 'bench',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    });
  }
  if (driver === 'azure' && azureConnectionString) {
    Object.assign(env, {
      AZURE_STORAGE_CONNECTION_STRING: azureConnectionString,
      AZURE_CONTAINER: AZURE_CONTAINER,
    });
  }
  return env;
}

/** Spawns an app from dist/; ready when its log matches `ready`, or (the API) when /health/live answers. */
async function startProcess(
  app: 'api' | 'worker',
  env: NodeJS.ProcessEnv,
  ready: RegExp | null,
  children: ChildProcess[],
): Promise<{ child: ChildProcess; port: number }> {
  const port = app === 'api' ? await freePort() : 0;
  const started = AppProcess.start(app, {
    env: { ...env, ...(app === 'api' ? { PORT: String(port) } : {}), LOG_LEVEL: 'info' },
  });
  children.push(started.child);
  if (ready) await started.waitForOutput(ready, 30_000);
  else await started.waitForHttp(`http://127.0.0.1:${port}/health/live`, 30_000);
  return { child: started.child, port };
}

/** The bench's queue lives in its own Redis database; leftovers of an interrupted run would confuse it. */
async function flushQueue(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** The process's peak resident set size (VmHWM), in MB. */
async function peakRss(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function startS3rver(directory: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: 'bench', configs: [] }],
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

function printTable(results: readonly Measurement[]): void {
  const lines = [
    '',
    '| driver | format | rows | baseline rows/s (COPY csv) | service rows/s (POST to completed) | ratio | worker peak RSS |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.driver} | ${r.format} | ${r.rows.toLocaleString('en-US')} | ${Math.round(r.baselineRowsPerSecond).toLocaleString('en-US')} | ${Math.round(r.serviceRowsPerSecond).toLocaleString('en-US')} | ${(r.serviceRowsPerSecond / r.baselineRowsPerSecond).toFixed(2)} | ${r.peakRssMb.toFixed(0)} MB |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printEstimates(estimates: readonly EstimateMeasurement[]): void {
  const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const lines = [
    '',
    `| view | rows (estimate) | exact | median ms | max ms (${ESTIMATE_CALLS} calls) | csv bytes estimated | csv file bytes |`,
    '|---|---:|---|---:|---:|---:|---:|',
    ...estimates.map((e) => {
      const ms = sorted(e.latenciesMs);
      const actual =
        e.csvBytes === null
          ? '—'
          : `${e.csvBytes.toLocaleString('en-US')} (${(((e.estimate.bytes.csv ?? 0) / e.csvBytes - 1) * 100).toFixed(1)}%)`;
      return `| ${e.view} | ${e.estimate.rows.toLocaleString('en-US')} | ${e.estimate.rowsExact ? 'yes' : 'no'} | ${ms[Math.floor(ms.length / 2)].toFixed(0)} | ${ms[ms.length - 1].toFixed(0)} | ${(e.estimate.bytes.csv ?? 0).toLocaleString('en-US')} | ${actual} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
