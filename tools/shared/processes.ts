import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';

/**
 * The built apps as child processes of a command-line tool (bench, demo): spawn one from dist/, wait until it is
 * ready, stop it. Works from the build only (dist/tools/shared).
 */
export const REPOSITORY_ROOT = join(__dirname, '..', '..', '..');

export type AppName = 'api' | 'worker';

/** `dist/apps/<app>/src/main.js`, what `npm run build` produces. */
export function appEntryPoint(app: AppName): string {
  return join(REPOSITORY_ROOT, 'dist', 'apps', app, 'src', 'main.js');
}

export interface AppProcessOptions {
  /** The whole environment of the child (nothing is inherited). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Also write everything the child prints to this file (truncated first). */
  readonly logFile?: string;
}

/** How much of the child's output is kept in memory for readiness checks and error messages. */
const KEPT_OUTPUT_CHARS = 64 * 1024;
/** How much of the output error messages quote. */
const QUOTED_OUTPUT_CHARS = 2000;
const POLL_MS = 200;

export class AppProcess {
  private kept = '';
  private readonly closed: Promise<void>;

  private constructor(
    readonly app: AppName,
    readonly child: ChildProcess,
    log: WriteStream | null,
  ) {
    const collect = (data: Buffer): void => {
      log?.write(data);
      this.kept = (this.kept + data.toString()).slice(-KEPT_OUTPUT_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.closed = new Promise<void>((resolve) => {
      // 'close' comes after 'exit' once stdout and stderr are drained: the log file then holds everything.
      child.once('close', () => (log ? log.end(() => resolve()) : resolve()));
      child.once('error', () => (log ? log.end(() => resolve()) : resolve()));
    });
  }

  /** Spawns `node dist/apps/<app>/src/main.js` with exactly the given environment. */
  static start(app: AppName, options: AppProcessOptions): AppProcess {
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'w' }) : null;
    const flags = app === 'worker' ? WORKER_NODE_FLAGS : [];
    const child = spawn(process.execPath, [...flags, appEntryPoint(app)], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(app, child, log);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `chars` characters the process printed (stdout and stderr, interleaved). */
  output(chars = QUOTED_OUTPUT_CHARS): string {
    return this.kept.slice(-chars);
  }

  /** "exited with code 1" or "was killed by SIGKILL". */
  exitDescription(): string {
    return this.child.signalCode !== null
      ? `was killed by ${this.child.signalCode}`
      : `exited with code ${this.child.exitCode}`;
  }

  /** Resolves once the output matches `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitUntil(() => Promise.resolve(pattern.test(this.kept)), timeoutMs, signal);
  }

  /** Resolves once `url` answers with a status `accept` takes (default: 2xx). */
  waitForHttp(
    url: string,
    timeoutMs: number,
    signal?: AbortSignal,
    accept: (status: number) => boolean = (status) => status >= 200 && status < 300,
  ): Promise<void> {
    return this.waitUntil(
      () =>
        fetch(url, { signal: AbortSignal.timeout(5000) }).then(
          async (response) => {
            await response.body?.cancel();
            return accept(response.status);
          },
          () => false,
        ),
      timeoutMs,
      signal,
    );
  }

  /** SIGTERM, then SIGKILL when the process has not exited within `graceMs`; resolves once it is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      try {
        await this.closed;
      } finally {
        clearTimeout(timer);
      }
    }
    await this.closed;
  }

  /** SIGKILL now, without waiting (for process 'exit' handlers, which cannot wait). */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  private async waitUntil(
    ready: () => Promise<boolean>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (!this.running) throw new Error(`${this.app} exited with ${this.child.exitCode}: ${this.output()}`);
      if (await ready()) return;
      if (Date.now() >= deadline) throw new Error(`${this.app} did not start: ${this.output()}`);
      await sleep(POLL_MS, undefined, signal ? { signal } : undefined);
    }
  }
}

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Tries to listen on `port` the way the API does (`app.listen(port)`: every interface) and releases it at once:
 * null when that works, else the error (EADDRINUSE when another process listens there, EACCES, ...).
 */
export function probePort(port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(port, () => server.close(() => resolve(null)));
  });
}
