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
import { DEFAULT_FILE_ENCODER_OPTIONS } from '../export/file-encoders';
import { PgUploadJournal } from '../export/pg-upload-journal';
import { guardPool, pgPoolOptions } from '../persistence/pg-connection';

/**
 * A pool of its own for the engine: one long snapshot connection per running export, plus one that the exports'
 * counts take in turn (each count imports its export's snapshot on a second connection while the COPY sorts, and
 * holds it for the count only). Its queries have no read timeout (a long COPY must not be cut): PgExportFileSource
 * sets one on each ordinary query and watches the COPY.
 */
export const EXPORT_PG_POOL = 'EXPORT_PG_POOL';
/** The upload journal's short writes, with the read timeout of every ordinary query. */
const JOURNAL_PG_POOL = 'JOURNAL_PG_POOL';

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
            guardPool(
              new Pool({
                ...pgPoolOptions({ queryTimeout: false }),
                connectionString: config.databaseUrl,
                max: config.exports.workerConcurrency + 1,
                application_name: 'export-service-engine',
              }),
              'export',
            ),
        },
        {
          provide: JOURNAL_PG_POOL,
          useFactory: () =>
            guardPool(
              new Pool({
                ...pgPoolOptions({ queryTimeout: true }),
                connectionString: config.databaseUrl,
                max: 2,
                application_name: 'export-service-journal',
              }),
              'journal',
            ),
        },
        {
          provide: ExportFileSource,
          useFactory: (pool: Pool) =>
            new PgExportFileSource(
              pool,
              config.exports.batchSize,
              { longQueryTimeoutMs: config.exports.attemptTimeoutSeconds * 1000 },
              {
                xlsx: { ...DEFAULT_FILE_ENCODER_OPTIONS.xlsx, sheetRows: config.exports.xlsxSheetRows },
                pdf: { pageSize: config.exports.pdfPageSize },
              },
            ),
          inject: [EXPORT_PG_POOL],
        },
        {
          provide: UploadJournal,
          useFactory: (pool: Pool) => new PgUploadJournal(pool),
          inject: [JOURNAL_PG_POOL],
        },
        { provide: ExportFailureClassifier, useClass: DefaultExportFailureClassifier },
        { provide: Clock, useClass: SystemClock },
        {
          provide: ExportEngineSettings,
          useValue: {
            retentionHours: config.exports.retentionHours,
            maxAttempts: config.exports.maxAttempts,
            progressIntervalMs: 500,
            attemptTimeoutMs: config.exports.attemptTimeoutSeconds * 1000,
            stallAfterMs: config.exports.stallAfterSeconds * 1000,
            maxRowsByFormat: config.exports.maxRowsByFormat,
          } satisfies ExportEngineSettings,
        },
        {
          provide: 'EXPORT_PG_POOL_CLOSER',
          useFactory: (pool: Pool, journal: Pool) => ({
            onApplicationShutdown: () => Promise.all([pool.end(), journal.end()]),
          }),
          inject: [EXPORT_PG_POOL, JOURNAL_PG_POOL],
        },
      ],
      exports: [ExportFileSource, UploadJournal, ExportFailureClassifier, Clock, ExportEngineSettings],
    };
  }
}
