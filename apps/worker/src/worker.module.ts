import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@app/infrastructure';
import { ConfigModule } from '@app/infrastructure/nest/config.module';
import { DatabaseModule } from '@app/infrastructure/nest/database.module';

/** The worker process: export processors and the retention cron register here. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, 'export-service-worker')],
    };
  }
}
