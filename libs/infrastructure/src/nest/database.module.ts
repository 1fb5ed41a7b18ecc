import { Module, type DynamicModule } from '@nestjs/common';
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
          provide: ExportJobRepository,
          useFactory: (ds: DataSource) => new TypeormExportJobRepository(ds),
          inject: [DataSource],
        },
        ...ADAPTERS.map(({ provide, adapter }) => ({
          provide,
          useFactory: (ds: DataSource) => new adapter(ds),
          inject: [DataSource],
        })),
      ],
      exports: [ExportJobRepository, ...ADAPTERS.map(({ provide }) => provide)],
    };
  }
}
