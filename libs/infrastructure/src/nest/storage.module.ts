import { Module, type DynamicModule } from '@nestjs/common';
import { FileStorage } from '@app/application';
import type { AppConfig } from '../config/app-config';
import { createFileStorage } from '../storage/create-file-storage';

/** Provides the FileStorage port (the abstract class is its own token) for the configured driver. */
@Module({})
export class StorageModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: FileStorage, useFactory: () => createFileStorage(config) }],
      exports: [FileStorage],
    };
  }
}
