import { Redis } from 'ioredis';
import { redisErrorListener, type WarnLogger } from '../queue/redis-error-log';
import { decodeJobChange, JOB_CHANGE_CHANNEL, type JobChange } from './job-change-channel';

export interface JobChangeListener {
  /** A job changed (its stored state; re-read it). */
  changed(change: JobChange): void;
  /** The subscription was (re-)established: changes may have been missed while it was down. */
  resubscribed(): void;
}

/**
 * The one subscription of a process to the job change channel. ioredis re-subscribes after a reconnect by itself;
 * each time it is ready again the listener hears `resubscribed`, so it can re-read what it watches.
 */
export class RedisJobChangeSubscriber {
  private readonly client: Redis;
  private listener: JobChangeListener | null = null;

  constructor(redisUrl: string, logger: WarnLogger) {
    this.client = new Redis(redisUrl, {
      lazyConnect: true,
      // The SUBSCRIBE waits in the offline queue while Redis is away, however long, and is sent once it is back.
      maxRetriesPerRequest: null,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.client.on('error', redisErrorListener(logger, 'job change subscriber'));
    this.client.on('message', (channel: string, message: string) => {
      if (channel !== JOB_CHANGE_CHANNEL) return;
      const change = decodeJobChange(message);
      if (change) this.listener?.changed(change);
    });
    this.client.on('ready', () => this.listener?.resubscribed());
  }

  /**
   * Connects and subscribes. Resolves once subscribed, or after `waitMs` when Redis does not answer: the process
   * starts anyway, ioredis keeps trying, and the 'error' events say so.
   */
  async start(listener: JobChangeListener, waitMs = 2000): Promise<void> {
    this.listener = listener;
    const subscribed = this.client.subscribe(JOB_CHANGE_CHANNEL).then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([subscribed, gaveUp]);
    clearTimeout(timer);
  }

  close(): void {
    this.listener = null;
    this.client.disconnect();
  }
}
