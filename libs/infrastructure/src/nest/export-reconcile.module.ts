import { Module } from '@nestjs/common';
import { ExportReconcileStore } from '@app/application';
import { DataSource } from 'typeorm';
import { TypeormExportReconcileStore } from '../persistence/repositories/typeorm-export-reconcile.store';

/**
 * The queue reconciler's store. Its DataSource comes from DatabaseModule.forRoot (TypeORM's global module); its
 * other ports come from QueueModule (ExportQueue) and ExportEngineModule (Clock).
 */
@Module({
  providers: [
    {
      provide: ExportReconcileStore,
      useFactory: (dataSource: DataSource) => new TypeormExportReconcileStore(dataSource),
      inject: [DataSource],
    },
  ],
  exports: [ExportReconcileStore],
})
export class ExportReconcileModule {}
