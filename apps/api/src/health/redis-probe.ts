import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import { Redis } from 'ioredis';

/** A connection of its own for readiness: PING, failing fast while Redis is away. */
@Injectable()
export class RedisProbe implements OnModuleDestroy {
  private readonly client: Redis;

  constructor(@InjectConfig() config: AppConfig) {
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    // Failures surface through ping(); without a listener ioredis would print every reconnect error.
    this.client.on('error', () => undefined);
  }

  async ping(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
    await this.client.ping();
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }
}
