import type { JobChangeListener } from '@app/infrastructure';

/**
 * The process's one source of job changes: RedisJobChangeSubscriber in the app (ApiModule builds it from
 * REDIS_URL), a hand-driven fake in the hub's spec.
 */
export abstract class JobChangeSource {
  /** Starts delivering changes to `listener`; resolves once subscribed (or gave up waiting for Redis). */
  abstract start(listener: JobChangeListener): Promise<void>;
  abstract close(): void;
}

/**
 * The subscription with the job read cache in front of the hub: each change first drops the cached job, then
 * reaches the hub, whose re-read therefore goes to the database.
 */
export class CacheFirstJobChangeSource extends JobChangeSource {
  constructor(
    private readonly subscription: JobChangeSource,
    private readonly cache: JobChangeListener,
  ) {
    super();
  }

  start(listener: JobChangeListener): Promise<void> {
    return this.subscription.start({
      changed: (change) => {
        this.cache.changed(change);
        listener.changed(change);
      },
      resubscribed: () => {
        this.cache.resubscribed();
        listener.resubscribed();
      },
    });
  }

  close(): void {
    this.subscription.close();
  }
}
