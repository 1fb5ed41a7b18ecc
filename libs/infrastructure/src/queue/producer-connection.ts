import type { OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { redisConnection } from './export-queue.constants';

/**
 * The Redis connection of the queue's producer (the API), owned here instead of by BullMQ so that it always closes.
 * It has no offline queue (an enqueue fails fast while Redis is away), and BullMQ closes a connection it owns with
 * QUIT, which such a connection refuses while it is reconnecting: the close threw and the client kept reconnecting,
 * so an API stopped during a Redis outage never exited (and jest stayed alive after the Redis-cut spec). BullMQ
 * leaves a connection it was given alone; this closes it with QUIT when connected, and otherwise drops it.
 */
export class ProducerConnection implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(redisUrl: string) {
    this.client = new Redis({
      ...redisConnection(redisUrl),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // BullMQ's own backoff for the connections it makes (1 s, growing to 20 s), as before.
      retryStrategy: (times) => Math.max(Math.min(Math.exp(times), 20_000), 1_000),
    });
    // BullMQ relays this client's errors to the queue's 'error' listeners (queueErrorLog) while the queue is open.
    this.client.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status === 'ready') {
      // QUIT lets commands already sent finish; if the link drops meanwhile, drop it for good.
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect(); // also cancels a pending reconnect
    }
  }
}
