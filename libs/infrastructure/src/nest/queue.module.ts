import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { ExportQueue } from '@app/application';
import type { AppConfig } from '../config/app-config';
import { BullmqExportQueue } from '../queue/bullmq-export-queue';
import { EXPORT_QUEUE, redisConnection } from '../queue/export-queue.constants';
import { queueErrorLog } from '../queue/redis-error-log';

/**
 * The `exports` queue on Redis, provided as the ExportQueue port. The producer (the API) fails fast when Redis is
 * away (no offline queue): a job accepted meanwhile stays `queued` in PostgreSQL and the worker's reconciler
 * enqueues it once Redis is back. Worker connections wait and reconnect, as BullMQ workers must.
 */
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig, role: 'producer' | 'worker' = 'producer'): DynamicModule {
    const connection =
      role === 'producer'
        ? { ...redisConnection(config.redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 }
        : { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null };
    return {
      module: QueueModule,
      imports: [BullModule.forRoot({ connection }), BullModule.registerQueue({ name: EXPORT_QUEUE })],
      providers: [
        { provide: ExportQueue, useClass: BullmqExportQueue },
        queueErrorLog(EXPORT_QUEUE, 'ExportQueue'),
      ],
      exports: [ExportQueue, BullModule],
    };
  }
}
