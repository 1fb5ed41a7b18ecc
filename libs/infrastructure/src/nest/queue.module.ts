import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { ExportQueue } from '@app/application';
import type { AppConfig } from '../config/app-config';
import { BullmqExportQueue } from '../queue/bullmq-export-queue';
import { EXPORT_QUEUE, redisConnection } from '../queue/export-queue.constants';
import { ProducerConnection } from '../queue/producer-connection';
import { queueErrorLog } from '../queue/redis-error-log';

/**
 * The `exports` queue on Redis, provided as the ExportQueue port. The producer (the API) fails fast when Redis is
 * away (no offline queue): a job accepted meanwhile stays `queued` in PostgreSQL and the worker's reconciler
 * enqueues it once Redis is back. Worker connections wait and reconnect, as BullMQ workers must.
 */
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig, role: 'producer' | 'worker' = 'producer'): DynamicModule {
    const root =
      role === 'producer'
        ? BullModule.forRootAsync({
            imports: [ProducerConnectionModule.forRoot(config)],
            useFactory: (producer: ProducerConnection) => ({ connection: producer.client }),
            inject: [ProducerConnection],
          })
        : BullModule.forRoot({
            connection: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null },
          });
    return {
      module: QueueModule,
      imports: [root, BullModule.registerQueue({ name: EXPORT_QUEUE })],
      providers: [
        { provide: ExportQueue, useClass: BullmqExportQueue },
        queueErrorLog(EXPORT_QUEUE, 'ExportQueue'),
      ],
      exports: [ExportQueue, BullModule],
    };
  }
}

/** The producer's own Redis connection (see ProducerConnection): BullMQ leaves it open, its shutdown hook closes it. */
@Module({})
class ProducerConnectionModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProducerConnectionModule,
      providers: [{ provide: ProducerConnection, useFactory: () => new ProducerConnection(config.redisUrl) }],
      exports: [ProducerConnection],
    };
  }
}
