import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ExportJobRepository } from '@app/application';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { dataSourceOptions } from '../persistence/data-source';
import { TypeormExportJobRepository } from '../persistence/repositories/typeorm-export-job.repository';

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
      ],
      exports: [ExportJobRepository],
    };
  }
}
