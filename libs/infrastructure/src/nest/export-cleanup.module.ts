import { Module } from '@nestjs/common';
import { ExportCleanupStore } from '@app/application';
import { DataSource } from 'typeorm';
import { TypeormExportCleanupStore } from '../persistence/repositories/typeorm-export-cleanup.store';

/**
 * The retention cleanup's store. Its DataSource comes from DatabaseModule.forRoot (TypeORM's global module); the
 * cleanup's other ports come from DatabaseModule, StorageModule, ExportEngineModule and QueueModule.
 */
@Module({
  providers: [
    {
      provide: ExportCleanupStore,
      useFactory: (dataSource: DataSource) => new TypeormExportCleanupStore(dataSource),
      inject: [DataSource],
    },
  ],
  exports: [ExportCleanupStore],
})
export class ExportCleanupModule {}
