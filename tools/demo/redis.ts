import Redis from 'ioredis';
import { connectionErrorCode, DemoFailure, firstLine, redactUrl } from './failure';

/** Fails with what to do when Redis does not answer PING within a few seconds. */
export async function checkRedis(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The cause (ECONNREFUSED, ...) arrives as an 'error' event; connect() itself only says the connection closed.
  let cause: unknown = null;
  redis.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const code = connectionErrorCode(cause) ?? connectionErrorCode(error) ?? firstLine(cause ?? error);
    throw new DemoFailure(
      `Redis does not answer at ${redactUrl(redisUrl)} (${code}): run npm run services, or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}
