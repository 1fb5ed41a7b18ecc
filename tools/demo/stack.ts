import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppConfig } from '@app/infrastructure';
import { AppProcess, type AppName, appEntryPoint, probePort } from '../shared/processes';
import { environmentOf } from './child-environment';
import { DemoFailure } from './failure';

/** Where the children's output goes (relative to the working directory), instead of the terminal. */
export const DEMO_LOG_DIR = join('var', 'demo');

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;
const TAIL_LINES = 15;
const TAIL_LINE_CHARS = 300;
const QUIET_LEVELS: readonly string[] = ['fatal', 'error', 'warn'];

export function logFileOf(app: AppName): string {
  return join(DEMO_LOG_DIR, `${app}.log`);
}

/**
 * The environment of the API and the worker: the demo's validated configuration, with STORAGE_LOCAL_DIR made
 * absolute and, when AUTH_JWT_SECRET is unset, NODE_ENV=demo and a secret of this run only (the demo signs the
 * admin's token with it). With NODE_ENV=production a secret is required, as the apps require it.
 */
export function childEnvironment(config: AppConfig): { env: Record<string, string>; jwtSecret: string } {
  if (config.auth.jwtSecret === null && config.environment === 'production')
    throw new DemoFailure(
      'AUTH_JWT_SECRET is required with NODE_ENV=production: set it, or unset NODE_ENV to run the demo with a throwaway secret',
    );
  const jwtSecret = config.auth.jwtSecret ?? randomBytes(32).toString('hex');
  const env = environmentOf({
    ...config,
    environment: config.auth.jwtSecret === null ? 'demo' : config.environment,
    auth: { jwtSecret },
    storage: { ...config.storage, localDir: resolve(config.storage.localDir) },
  });
  // HOME: where the AWS SDK finds ~/.aws when the S3 keys are not in S3_*; NO_COLOR: plain log files.
  return { env: { ...env, HOME: homedir(), NO_COLOR: '1' }, jwtSecret };
}

/** Fails early, with what to do, when the build is missing or the port is taken. */
export async function checkCanStart(port: number): Promise<void> {
  for (const app of ['api', 'worker'] as const)
    if (!existsSync(appEntryPoint(app)))
      throw new DemoFailure(`${appEntryPoint(app)} is missing: run npm run build first (npm run demo does)`);
  const error = await probePort(port);
  if (error?.code === 'EADDRINUSE')
    throw new DemoFailure(
      `port ${port} is in use by another process: stop it, or run the demo with PORT set to a free port`,
    );
  if (error)
    throw new DemoFailure(
      `cannot listen on port ${port} (${error.code ?? error.message}): set PORT to another port`,
    );
}

/** The API and one worker, started by the demo; `stop()` ends both, whatever state they are in. */
export class DemoStack {
  readonly apps: AppProcess[] = [];
  private stopping = false;

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly config: AppConfig,
    /** Called when a child exits while the demo still needs it. */
    private readonly onUnexpectedExit: (failure: DemoFailure) => void,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }

  /** Starts the worker and the API; resolves when the API is ready (GET /health/ready 200) and the worker runs. */
  async start(signal: AbortSignal): Promise<void> {
    await mkdir(DEMO_LOG_DIR, { recursive: true });
    const worker = this.spawn('worker');
    const api = this.spawn('api');
    const workerStarted = QUIET_LEVELS.includes(this.config.logLevel)
      ? Promise.resolve() // it would not log that it started: its exit is still watched
      : worker.waitForOutput(/worker started/, READY_TIMEOUT_MS, signal);
    await Promise.all([this.apiReady(api, signal), this.workerStarted(worker, workerStarted, signal)]);
  }

  /** SIGTERM to both, SIGKILL to what has not exited 15 s later; resolves when both are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.apps.map((app) => app.stop(STOP_GRACE_MS)));
  }

  /** For process 'exit', which cannot wait. */
  killNow(): void {
    this.stopping = true;
    for (const app of this.apps) app.killNow();
  }

  /** The last lines of each child's log, for a failure report. */
  tails(): string {
    return this.apps
      .map((app) => {
        const lines = app.output(16_384).trimEnd().split('\n').slice(-TAIL_LINES);
        const body =
          lines.join('').trim() === ''
            ? '  (nothing)'
            : lines
                .map((l) => `  ${l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}...` : l}`)
                .join('\n');
        return `demo: last lines of ${logFileOf(app.app)}:\n${body}\n`;
      })
      .join('');
  }

  private exitFailure(app: AppProcess, when: string): DemoFailure {
    return exitFailureOf(app, when, this.config.port);
  }

  private spawn(name: AppName): AppProcess {
    const app = AppProcess.start(name, { env: this.env, logFile: logFileOf(name) });
    this.apps.push(app);
    // 'close' rather than 'exit': by then everything the child printed has been read.
    app.child.once('close', () => {
      if (!this.stopping) this.onUnexpectedExit(this.exitFailure(app, 'unexpectedly'));
    });
    app.child.once('error', (error) =>
      this.onUnexpectedExit(new DemoFailure(`could not start the ${name}: ${error.message}`)),
    );
    return app;
  }

  private async apiReady(api: AppProcess, signal: AbortSignal): Promise<void> {
    const ready = `${this.baseUrl}/health/ready`;
    try {
      await api.waitForHttp(ready, READY_TIMEOUT_MS, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      if (!api.running) throw this.exitFailure(api, 'while starting');
      throw new DemoFailure(
        `the API was not ready within ${READY_TIMEOUT_MS / 1000} s (${await readinessDetail(ready)}); check DATABASE_URL, REDIS_URL and the STORAGE_* / S3_* settings`,
      );
    }
  }

  private async workerStarted(
    worker: AppProcess,
    started: Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await started;
    } catch (error) {
      if (signal.aborted) throw error;
      if (!worker.running) throw this.exitFailure(worker, 'while starting');
      throw new DemoFailure(
        `the worker did not start within ${READY_TIMEOUT_MS / 1000} s; see ${logFileOf('worker')}`,
      );
    }
  }
}

/** Why a child exited, as one line: a taken port is named as such. */
function exitFailureOf(app: AppProcess, when: string, port: number): DemoFailure {
  if (app.app === 'api' && /EADDRINUSE/.test(app.output(16_384)))
    return new DemoFailure(
      `port ${port} is in use by another process: stop it, or run the demo with PORT set to a free port`,
    );
  const name = app.app === 'api' ? 'the API' : 'the worker';
  return new DemoFailure(`${name} ${app.exitDescription()} ${when}; see ${logFileOf(app.app)}`);
}

/** What GET /health/ready says is missing, e.g. "Not ready: storage unavailable." */
async function readinessDetail(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { detail?: unknown };
    return typeof body.detail === 'string' ? body.detail : `status ${response.status}`;
  } catch (error) {
    return `no answer: ${error instanceof Error ? error.message : String(error)}`;
  }
}
