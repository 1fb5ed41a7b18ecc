import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { CleanupExportsHandler, ReconcileExportQueueHandler, RunExportJobHandler } from '@app/application';
import type { AppConfig } from '@app/infrastructure';
import { ConfigModule } from '@app/infrastructure/nest/config.module';
import { DatabaseModule } from '@app/infrastructure/nest/database.module';
import { ExportCleanupModule } from '@app/infrastructure/nest/export-cleanup.module';
import { ExportEngineModule } from '@app/infrastructure/nest/export-engine.module';
import { ExportReconcileModule } from '@app/infrastructure/nest/export-reconcile.module';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { StorageModule } from '@app/infrastructure/nest/storage.module';
import { ExportCleanupCron } from './exports/export-cleanup.cron';
import { ExportProcessor } from './exports/export.processor';
import { ExportQueueReconciler } from './exports/export-queue.reconciler';

/**
 * The worker process: runs exports from the queue, keeps the queue in step with the database, and runs the
 * retention cleanup on CLEANUP_CRON.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'export-service-worker'),
        QueueModule.forRoot(config, 'worker'),
        StorageModule.forRoot(config),
        ExportEngineModule.forRoot(config),
        ExportCleanupModule,
        ExportReconcileModule,
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
      ],
      providers: [
        RunExportJobHandler,
        ExportProcessor,
        ReconcileExportQueueHandler,
        ExportQueueReconciler,
        CleanupExportsHandler,
        ExportCleanupCron,
      ],
    };
  }
}
