import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, nastyStrings, seedDatabase, signAccessToken } from '@app/infrastructure';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import S3rver from 's3rver';
import { AppProcess, freePort } from '../shared/processes';
import type { Driver, MachineFigure } from './figures';

export const AZURE_CONTAINER = 'bench';
export const VIEW = 'All tickets';
const START_TIMEOUT_MS = 120_000;

export function machine(): MachineFigure {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/**
 * Seeds N tickets (acme) and N/10 (globex) unless the database already holds exactly those counts: a run on a
 * seeded database does not pay the seeding again. Jobs, files and audit events of earlier runs are wiped, so an
 * interrupted run cannot leave active jobs that count against EXPORT_MAX_ACTIVE_PER_USER.
 */
export async function ensureSeeded(
  pool: Pool,
  tickets: number,
): Promise<{ seeded: boolean; seconds: number }> {
  const seed = { tickets, nastyStrings: nastyStrings() };
  const existing = await seedDatabase(pool, { ...seed, reset: false });
  const wanted = { acme: tickets, globex: Math.ceil(tickets / 10) };
  if (
    !existing.seeded &&
    existing.tickets.acme === wanted.acme &&
    existing.tickets.globex === wanted.globex
  ) {
    await pool.query('TRUNCATE export_jobs, stored_files, audit_events CASCADE');
    return { seeded: false, seconds: existing.seconds };
  }
  const seeded = existing.seeded ? existing : await seedDatabase(pool, { ...seed, reset: true });
  await pool.query('VACUUM ANALYZE tickets');
  return { seeded: true, seconds: seeded.seconds };
}

export interface BenchView {
  readonly tenantId: string;
  readonly tenant: string;
  readonly viewId: string;
  readonly userId: string;
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
}

export async function viewOf(pool: Pool, tenant: string): Promise<BenchView> {
  const { rows } = await pool.query<BenchView>(
    `SELECT v.tenant_id AS "tenantId", t.slug AS tenant, v.id AS "viewId", u.id AS "userId", v.columns,
            v.conditions, v.sort
       FROM ticket_views v JOIN tenants t ON t.id = v.tenant_id JOIN users u ON u.tenant_id = t.id AND u.email = $2
      WHERE t.slug = $1 AND v.name = $3`,
    [tenant, `admin@${tenant}.test`, VIEW],
  );
  return rows[0];
}

/** The bearer token of a user of the bench's services. */
export function tokenOf(env: NodeJS.ProcessEnv, view: Pick<BenchView, 'userId' | 'tenantId'>): string {
  return signAccessToken({ sub: view.userId, tid: view.tenantId }, String(env.AUTH_JWT_SECRET), 3600);
}

export function benchEnv(
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
    // The concurrency phase runs 4 jobs of one admin at once; the chained exports of the polling phase overlap.
    EXPORT_MAX_ACTIVE_PER_USER: '8',
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
    Object.assign(env, { AZURE_STORAGE_CONNECTION_STRING: azureConnectionString, AZURE_CONTAINER });
  }
  return env;
}

/**
 * Spawns an app from dist/; ready when its log matches `ready`, or (the API) when /health/live answers. Two minutes
 * at most: on a loaded 2-core machine the API's boot alone has taken more than 30 s.
 */
export async function startProcess(
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
  if (ready) await started.waitForOutput(ready, START_TIMEOUT_MS);
  else await started.waitForHttp(`http://127.0.0.1:${port}/health/live`, START_TIMEOUT_MS);
  return { child: started.child, port };
}

export const startWorker = (
  env: NodeJS.ProcessEnv,
  children: ChildProcess[],
): ReturnType<typeof startProcess> => startProcess('worker', env, /worker started/, children);

/** Stops a child and waits for its exit, so the next phase does not share the machine with it. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The bench's queue lives in its own Redis database; leftovers of an interrupted run would confuse it. */
export async function flushQueue(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** The process's peak resident set size (VmHWM), in MB. */
export async function peakRss(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function startS3rver(directory: string): Promise<{ endpoint: string; close(): Promise<void> }> {
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

export function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
