import { Module, type DynamicModule } from '@nestjs/common';
import {
  Clock,
  ExportEngineSettings,
  ExportFailureClassifier,
  ExportFileSource,
  UploadJournal,
} from '@app/application';
import { Pool } from 'pg';
import { SystemClock } from '../clock/system-clock';
import type { AppConfig } from '../config/app-config';
import { DefaultExportFailureClassifier } from '../export/export-failure-classifier';
import { PgExportFileSource } from '../export/pg-export-file-source';
import { PgUploadJournal } from '../export/pg-upload-journal';

/** A pool of its own for the engine: one long snapshot connection per running export, plus the journal's writes. */
export const EXPORT_PG_POOL = 'EXPORT_PG_POOL';

/** The adapters the RunExportJob use case needs (storage and the job repository come from their own modules). */
@Module({})
export class ExportEngineModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ExportEngineModule,
      providers: [
        {
          provide: EXPORT_PG_POOL,
          useFactory: () =>
            new Pool({
              connectionString: config.databaseUrl,
              max: config.exports.workerConcurrency + 2,
              application_name: 'export-service-engine',
            }),
        },
        {
          provide: ExportFileSource,
          useFactory: (pool: Pool) => new PgExportFileSource(pool, config.exports.batchSize),
          inject: [EXPORT_PG_POOL],
        },
        {
          provide: UploadJournal,
          useFactory: (pool: Pool) => new PgUploadJournal(pool),
          inject: [EXPORT_PG_POOL],
        },
        { provide: ExportFailureClassifier, useClass: DefaultExportFailureClassifier },
        { provide: Clock, useClass: SystemClock },
        {
          provide: ExportEngineSettings,
          useValue: {
            retentionHours: config.exports.retentionHours,
            maxAttempts: config.exports.maxAttempts,
            progressIntervalMs: 500,
            stallAfterMs: config.exports.stallAfterSeconds * 1000,
          } satisfies ExportEngineSettings,
        },
        {
          provide: 'EXPORT_PG_POOL_CLOSER',
          useFactory: (pool: Pool) => ({ onApplicationShutdown: () => pool.end() }),
          inject: [EXPORT_PG_POOL],
        },
      ],
      exports: [ExportFileSource, UploadJournal, ExportFailureClassifier, Clock, ExportEngineSettings],
    };
  }
}
