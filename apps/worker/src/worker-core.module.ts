import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CleanupExportsHandler } from '@app/application';
import type { AppConfig } from '@app/infrastructure';
import { ConfigModule } from '@app/infrastructure/nest/config.module';
import { DatabaseModule } from '@app/infrastructure/nest/database.module';
import { ExportCleanupModule } from '@app/infrastructure/nest/export-cleanup.module';
import { ExportEngineModule } from '@app/infrastructure/nest/export-engine.module';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { StorageModule } from '@app/infrastructure/nest/storage.module';

export interface WorkerCoreOptions {
  /** PostgreSQL's application_name for this process's connections. */
  readonly applicationName: string;
  /** `worker` consumes the queue and waits for Redis; `producer` only adds and inspects entries. */
  readonly queueRole: 'producer' | 'worker';
}

/**
 * The adapters behind the export and retention use cases (database, queue, storage, export engine, cleanup store)
 * and the cleanup handler, wired once: the worker adds its processors and schedules on top, and
 * `npm run exports:cleanup` (apps/cli) runs the same cleanup with nothing else.
 */
@Module({})
export class WorkerCoreModule {
  static forRoot(config: AppConfig, options: WorkerCoreOptions): DynamicModule {
    const adapters = [
      DatabaseModule.forRoot(config, options.applicationName),
      QueueModule.forRoot(config, options.queueRole),
      StorageModule.forRoot(config),
      ExportEngineModule.forRoot(config),
      ExportCleanupModule,
    ];
    return {
      module: WorkerCoreModule,
      imports: [ConfigModule.forRoot(config), CqrsModule.forRoot(), ...adapters],
      providers: [CleanupExportsHandler],
      exports: adapters,
    };
  }
}
