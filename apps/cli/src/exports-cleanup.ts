import 'reflect-metadata';
import { getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { CleanupExportsCommand, type CleanupSummary } from '@app/application';
import { type AppConfig, EXPORT_QUEUE, readConfig } from '@app/infrastructure';
import type { Queue } from 'bullmq';
import { WorkerCoreModule } from '../../worker/src/worker-core.module';
import { runCli } from './cli';

/**
 * `npm run exports:cleanup`: the retention cleanup, once, now (CONTRACT §1). It runs the same command as the
 * workers' CLEANUP_CRON under the same lock, so it is safe next to running workers. It only produces to the queue
 * (to see which jobs still have an entry) and never consumes: no export runs in this process.
 */
const NAME = 'exports:cleanup';
const REDIS_TIMEOUT_MS = 10_000;

/**
 * The queue's connection errors, kept for the one-line message rather than printed with their stacks (BullMQ
 * prints an error nobody listens to). Made as soon as the queue is, before Redis can have answered.
 */
class RedisErrors {
  last: unknown = null;
}

@Module({})
class CleanupModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CleanupModule,
      imports: [
        WorkerCoreModule.forRoot(config, {
          applicationName: 'export-service-cleanup',
          queueRole: 'producer',
        }),
      ],
      providers: [
        {
          provide: RedisErrors,
          useFactory: (queue: Queue) => {
            const errors = new RedisErrors();
            queue.on('error', (error) => (errors.last = error));
            return errors;
          },
          inject: [getQueueToken(EXPORT_QUEUE)],
        },
      ],
    };
  }
}

/**
 * Warnings and errors on stderr, one line each and never a stack trace: this output is read by a person. Nest's
 * own progress messages are left out; warnings too when LOG_LEVEL is error or fatal.
 */
class OneLineLogger implements LoggerService {
  constructor(private readonly warnings: boolean) {}

  log(): void {}
  warn(message: unknown, ...params: unknown[]): void {
    if (this.warnings) this.write('warning', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  /** Nest passes (message, ...details, context) and, for errors, a stack: only the words and fields are kept. */
  private write(level: string, message: unknown, params: unknown[]): void {
    const parts = [message, ...params.slice(0, -1)];
    const text = parts.filter((p): p is string => typeof p === 'string' && !p.includes('\n    at '));
    const fields = parts
      .filter(
        (p): p is Record<string, unknown> => typeof p === 'object' && p !== null && !(p instanceof Error),
      )
      .flatMap((p) => Object.entries(p).map(([key, value]) => `${key}=${oneLine(value)}`));
    const errors = parts.filter((p): p is Error => p instanceof Error).map(oneLine);
    const line = [...text, ...errors].join(': ') + (fields.length > 0 ? ` (${fields.join(', ')})` : '');
    process.stderr.write(`${NAME}: ${level}: ${line}\n`);
  }
}

/** The first line of what went wrong, for an error of any shape (pg reports a refused connection as an AggregateError). */
function oneLine(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return oneLine(error.errors[0]);
  if (error instanceof Error) return error.message.split('\n')[0] || error.name;
  return String(error);
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

function report(summary: CleanupSummary, elapsedMs: number): string {
  if (summary.skipped)
    return 'Skipped: another cleanup is running right now (a worker on CLEANUP_CRON or another exports:cleanup).\n';
  const rows: [string, number][] = [
    ['expired jobs', summary.expiredJobs],
    ['files deleted', summary.filesDeleted],
    ['uploads aborted', summary.uploadsAborted],
    ['lost running jobs failed', summary.lostJobsFailed],
    ['errors', summary.errors],
  ];
  const lines = rows.map(([label, count]) => `  ${label.padEnd(26)}${String(count).padStart(6)}`);
  const done = [
    plural(summary.expiredJobs, 'job') + ' expired',
    plural(summary.uploadsAborted, 'upload') + ' aborted',
    plural(summary.lostJobsFailed, 'lost job') + ' failed',
    summary.errors === 0 ? 'no errors' : plural(summary.errors, 'error'),
  ];
  const seconds = (elapsedMs / 1000).toFixed(1);
  return ['Retention cleanup:', ...lines, `Done in ${seconds} s: ${done.join(', ')}.`, ''].join('\n');
}

/** Waits until Redis answers, so the queue checks do not fail on a connection still being made. */
async function redisReady(queue: Queue, errors: RedisErrors, redisUrl: string): Promise<void> {
  const { hostname, port } = new URL(redisUrl);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const why = errors.last === null ? '' : ` (${oneLine(errors.last)})`;
      const seconds = REDIS_TIMEOUT_MS / 1000;
      reject(new Error(`Redis at ${hostname}:${port || 6379} did not answer within ${seconds} s${why}`));
    }, REDIS_TIMEOUT_MS);
  });
  try {
    await Promise.race([queue.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const startedAt = Date.now();
  const logger = new OneLineLogger(config.logLevel !== 'error' && config.logLevel !== 'fatal');
  const app = await NestFactory.createApplicationContext(CleanupModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  let summary: CleanupSummary;
  try {
    await redisReady(app.get<Queue>(getQueueToken(EXPORT_QUEUE)), app.get(RedisErrors), config.redisUrl);
    summary = await app.get(CommandBus).execute(new CleanupExportsCommand());
  } finally {
    await app.close();
  }
  process.stdout.write(report(summary, Date.now() - startedAt));
  if (summary.errors > 0)
    throw new Error(
      `${plural(summary.errors, 'item')} could not be cleaned up (see the warnings); the next run retries`,
    );
}

runCli(NAME, () =>
  main().catch((error: unknown) => {
    throw new Error(oneLine(error));
  }),
);
