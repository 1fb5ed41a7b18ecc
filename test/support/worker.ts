import { readConfig } from '@app/infrastructure';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';

/** The worker exactly as production runs it: `npm test` builds it before jest starts. */
const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

export interface RunningWorker {
  readonly pid: number;
  /** SIGTERM, then waits for the process to exit (SIGKILL if it has not within 30 s). */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the process to exit: a crash, nothing is released or cleaned up. */
  kill(): Promise<void>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** null while the process runs; then its exit code, or its signal's name when a signal ended it. */
  exitCode(): number | string | null;
  /** Resolves once the process has exited (whatever ended it). */
  exited(): Promise<void>;
}

/** Every worker still running, killed when the test process exits whatever happened to the spec's afterAll. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The webhook settings of every spawned worker. Specs share one database but each worker has its own Redis
 * database, so any worker may dispatch another spec's export events, or find another spec's delivery overdue with no
 * entry in its own queue and send it again: every worker must then deliver as the webhook spec expects (to the
 * loopback receiver over http, retrying within milliseconds), or it would record a refusal and a retry minutes away.
 */
export const TEST_WEBHOOK_ENV: Readonly<Record<string, string>> = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCALE: '0.0001',
};

/**
 * The whole environment of a process spawned from dist/: NODE_ENV=test, the test database, REDIS_URL and LOG_LEVEL,
 * PATH and HOME, the shared webhook settings, then `env` (the spec's choices). Nothing else is inherited from the
 * test process.
 */
export function builtAppEnvironment(env: Readonly<Record<string, string>> = {}): Record<string, string> {
  const config = readConfig();
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    NODE_ENV: 'test',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    LOG_LEVEL: config.logLevel,
    ...TEST_WEBHOOK_ENV,
    ...env,
  };
}

/**
 * Spawns `node <WORKER_NODE_FLAGS> dist/apps/worker/src/main.js` with NODE_ENV=test, the test database, REDIS_URL
 * and the given environment (REDIS_URL with the spec's own Redis database, STORAGE_*, EXPORT_*), and resolves once
 * it logged `worker started`. The environment is not inherited from the test process beyond PATH and HOME: a worker sees
 * exactly the configuration its spec chose. Stop or kill every worker in afterAll.
 */
export async function startWorker(options: { env?: Record<string, string> } = {}): Promise<RunningWorker> {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_MAIN], {
    // At least info: specs read the worker's lines (`worker started`, attempt outcomes); the worker honours LOG_LEVEL.
    env: builtAppEnvironment({ LOG_LEVEL: 'info', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (code ${child.exitCode}) before it started:\n${output}`));
    });
  });

  const signal = async (name: NodeJS.Signals, timeoutMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await started;
  } catch (error) {
    await signal('SIGKILL', 0);
    throw error;
  }
  if (child.pid === undefined) throw new Error('the worker has no pid');
  return {
    pid: child.pid,
    stop: () => signal('SIGTERM', STOP_TIMEOUT_MS),
    kill: () => signal('SIGKILL', STOP_TIMEOUT_MS),
    output: () => output,
    exitCode: () => child.exitCode ?? child.signalCode,
    exited: () => exited,
  };
}

/** `redis://host:port/<db>`: each spec file running a worker takes a database of its own (1..15; 0: in-process). */
export function redisUrlWithDb(db: number): string {
  const url = new URL(readConfig().redisUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * redisUrlWithDb, that database emptied first: a spec file that shares its number with another (there are 15)
 * starts without the queue entries an earlier file may have left.
 */
export async function emptyRedisDb(db: number): Promise<string> {
  const url = redisUrlWithDb(db);
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  return url;
}
