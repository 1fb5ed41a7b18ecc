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
