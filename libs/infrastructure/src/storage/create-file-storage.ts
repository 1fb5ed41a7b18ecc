import type { FileStorage } from '@app/application';
import type { AppConfig } from '../config/app-config';
import { LocalFileStorage } from './local-file-storage';

/**
 * The FileStorage for `STORAGE_DRIVER`: local disk under `STORAGE_LOCAL_DIR`, the S3 bucket `S3_BUCKET`, or the Azure
 * container `AZURE_CONTAINER`. A cloud driver's SDK is imported here, when chosen: a process on another driver never
 * loads it (each weighs about 22 MB of RSS).
 */
export async function createFileStorage(config: AppConfig): Promise<FileStorage> {
  switch (config.storage.driver) {
    case 'local':
      return new LocalFileStorage(config.storage.localDir);
    case 's3': {
      const { S3FileStorage } = await import('./s3-file-storage');
      return new S3FileStorage(config.storage.s3);
    }
    case 'azure': {
      const { AzureBlobFileStorage } = await import('./azure-blob-file-storage');
      return new AzureBlobFileStorage(config.storage.azure);
    }
  }
}
