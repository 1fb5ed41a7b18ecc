import { Redis } from 'ioredis';
import { redisErrorListener, type WarnLogger } from '../queue/redis-error-log';
import { encodeJobChange, JOB_CHANGE_CHANNEL, type JobChange } from './job-change-channel';
import type { JobChangeListener } from './redis-job-change-subscriber';

/** Announces job changes; best effort by contract: it never throws and never delays the write it follows. */
export interface JobChangePublisher {
  publish(change: JobChange): void;
}

/**
 * PUBLISH on a connection of its own, opened on first use. While Redis is away a publish fails after one reconnect
 * attempt and is dropped (logged at most every 30 s): the streams' slow re-check still brings the state.
 */
export class RedisJobChangePublisher implements JobChangePublisher {
  private readonly client: Redis;
  private readonly onError: (error: Error) => void;
  private readonly local: Pick<JobChangeListener, 'changed'>[] = [];

  constructor(redisUrl: string, logger: WarnLogger) {
    this.client = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.onError = redisErrorListener(logger, 'job change publisher');
    this.client.on('error', this.onError);
  }

  /**
   * Also tells `listener` of this process's own changes, synchronously, before they are published: a client that
   * changed a job through this process and reads it right after reads its own write, without waiting for the
   * message's round trip through Redis (the API's job read cache).
   */
  alsoNotify(listener: Pick<JobChangeListener, 'changed'>): void {
    this.local.push(listener);
  }

  publish(change: JobChange): void {
    for (const listener of this.local) listener.changed(change);
    this.client.publish(JOB_CHANGE_CHANNEL, encodeJobChange(change)).catch(this.onError);
  }

  close(): void {
    this.client.disconnect();
  }
}
