import { Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ActorResolver,
  AuditLog,
  ExportJobReadModel,
  ExportJobRepository,
  ExportJobStatistics,
  TicketCounter,
  TicketListReader,
  TicketViewRepository,
} from '@app/application';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { RedisJobChangePublisher } from '../events/redis-job-change-publisher';
import { dataSourceOptions } from '../persistence/data-source';
import { TypeormActorResolver } from '../auth/typeorm-actor-resolver';
import { TypeormAuditLog } from '../persistence/repositories/typeorm-audit-log';
import { TypeormExportJobReadModel } from '../persistence/repositories/typeorm-export-job.read-model';
import { TypeormExportJobRepository } from '../persistence/repositories/typeorm-export-job.repository';
import { TypeormExportJobStatistics } from '../persistence/repositories/typeorm-export-job.statistics';
import { TypeormTicketCounter } from '../persistence/repositories/typeorm-ticket-counter';
import { TypeormTicketListReader } from '../persistence/repositories/typeorm-ticket-list.reader';
import { TypeormTicketViewRepository } from '../persistence/repositories/typeorm-ticket-view.repository';

/** Ports whose adapters need nothing but the DataSource. */
const ADAPTERS = [
  { provide: ActorResolver, adapter: TypeormActorResolver },
  { provide: AuditLog, adapter: TypeormAuditLog },
  { provide: ExportJobReadModel, adapter: TypeormExportJobReadModel },
  { provide: ExportJobStatistics, adapter: TypeormExportJobStatistics },
  { provide: TicketListReader, adapter: TypeormTicketListReader },
  { provide: TicketCounter, adapter: TypeormTicketCounter },
  { provide: TicketViewRepository, adapter: TypeormTicketViewRepository },
] as const;

/**
 * The publisher of job changes, closed only when the application has shut down: a worker's last saves (releasing
 * its jobs in onModuleDestroy) are still announced.
 */
class JobChangePublisherLifecycle extends RedisJobChangePublisher implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    this.close();
  }
}

/** PostgreSQL through TypeORM (migrations are applied by `npm run db:migrate`, never by synchronize). */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.databaseUrl, applicationName),
          retryAttempts: 3,
        }),
      ],
      providers: [
        {
          provide: JobChangePublisherLifecycle,
          useFactory: () =>
            new JobChangePublisherLifecycle(config.redisUrl, new Logger('JobChangePublisher')),
        },
        // The same publisher, for a process that also listens to its own changes (the API's job read cache).
        { provide: RedisJobChangePublisher, useExisting: JobChangePublisherLifecycle },
        {
          provide: ExportJobRepository,
          useFactory: (ds: DataSource, changes: JobChangePublisherLifecycle) =>
            new TypeormExportJobRepository(ds, changes),
          inject: [DataSource, JobChangePublisherLifecycle],
        },
        ...ADAPTERS.map(({ provide, adapter }) => ({
          provide,
          useFactory: (ds: DataSource) => new adapter(ds),
          inject: [DataSource],
        })),
      ],
      exports: [ExportJobRepository, RedisJobChangePublisher, ...ADAPTERS.map(({ provide }) => provide)],
    };
  }
}
