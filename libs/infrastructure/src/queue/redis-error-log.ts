import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';

/** What redisErrorListener logs through: Nest's Logger, or any logger with warn. */
export interface WarnLogger {
  warn(message: string): void;
}

const REPEAT_EVERY_MS = 30_000;

/**
 * A listener for the 'error' events of a BullMQ Queue or Worker, which carry their ioredis connections' errors.
 * Without one BullMQ prints every failed reconnect with console.error (multi-line, unstructured). While Redis is
 * away ioredis retries every few hundred ms: a new message is logged at once, a repeated one every 30 s.
 */
export function redisErrorListener(
  logger: WarnLogger,
  what: string,
  now: () => number = Date.now,
): (error: Error) => void {
  let last = '';
  let loggedAt = 0;
  let repeats = 0;
  return (error) => {
    const message = error.message || String(error);
    if (message === last && now() - loggedAt < REPEAT_EVERY_MS) {
      repeats += 1;
      return;
    }
    const repeated = message === last && repeats > 0 ? ` (${repeats} more since the last line)` : '';
    logger.warn(`Redis error on the ${what}: ${message}${repeated}`);
    last = message;
    loggedAt = now();
    repeats = 0;
  };
}

/**
 * A provider that attaches redisErrorListener to the BullMQ queue `queueName` once it exists: list it beside
 * `BullModule.registerQueue` so the queue's connection errors are logged, never printed by BullMQ's fallback.
 */
export function queueErrorLog(queueName: string, context: string): Provider {
  return {
    provide: `${queueName.toUpperCase()}_QUEUE_ERROR_LOG`,
    useFactory: (queue: Queue) => {
      queue.on('error', redisErrorListener(new Logger(context), `${queueName} queue`));
      return queue;
    },
    inject: [getQueueToken(queueName)],
  };
}
