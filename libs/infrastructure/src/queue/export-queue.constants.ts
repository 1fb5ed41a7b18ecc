import type { JobsOptions } from 'bullmq';
import type { AppConfig } from '../config/app-config';

export const EXPORT_QUEUE = 'exports';

/** What a queue entry carries: just enough to load the job; the database holds everything else. */
export interface ExportQueueData {
  readonly tenantId: string;
  readonly jobId: string;
}

/**
 * Entries are keyed by the export job's id, so adding the same job twice is a no-op. Retries use exponential
 * backoff (2 s, 4 s, 8 s, ...) up to EXPORT_MAX_ATTEMPTS; finished entries are kept a while for inspection.
 */
export function exportJobOptions(config: AppConfig, jobId: string): JobsOptions {
  return {
    jobId,
    attempts: config.exports.maxAttempts,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** BullMQ connection options from REDIS_URL (redis://[:password@]host[:port][/db], rediss:// for TLS). */
export function redisConnection(redisUrl: string): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: object;
} {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number(url.pathname.replace('/', '') || 0),
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}
