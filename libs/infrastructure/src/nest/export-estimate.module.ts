import { Module, type DynamicModule } from '@nestjs/common';
import { ExportEstimator } from '@app/application';
import { Pool } from 'pg';
import type { AppConfig } from '../config/app-config';
import { PgExportEstimator } from '../export/pg-export-estimator';
import { guardPool, pgPoolOptions } from '../persistence/pg-connection';

const ESTIMATE_PG_POOL = 'ESTIMATE_PG_POOL';

/**
 * The export estimate (POST /export-jobs/estimate) on a small pool of its own: it runs COPY (the export's encoders
 * on a sample), which TypeORM's pool does not offer, and its short snapshots never wait behind the API's queries.
 */
@Module({})
export class ExportEstimateModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ExportEstimateModule,
      providers: [
        {
          provide: ESTIMATE_PG_POOL,
          useFactory: () =>
            guardPool(
              new Pool({
                ...pgPoolOptions({ queryTimeout: true }),
                connectionString: config.databaseUrl,
                max: 4,
                application_name: 'export-service-estimate',
              }),
              'estimate',
            ),
        },
        {
          provide: ExportEstimator,
          useFactory: (pool: Pool) => new PgExportEstimator(pool),
          inject: [ESTIMATE_PG_POOL],
        },
        {
          provide: 'ESTIMATE_PG_POOL_CLOSER',
          useFactory: (pool: Pool) => ({ onApplicationShutdown: () => pool.end() }),
          inject: [ESTIMATE_PG_POOL],
        },
      ],
      exports: [ExportEstimator],
    };
  }
}
