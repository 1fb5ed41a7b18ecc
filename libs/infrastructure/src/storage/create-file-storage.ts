import type { FileStorage } from '@app/application';
import type { AppConfig } from '../config/app-config';
import { AzureBlobFileStorage } from './azure-blob-file-storage';
import { LocalFileStorage } from './local-file-storage';
import { S3FileStorage } from './s3-file-storage';

/**
 * The FileStorage for `STORAGE_DRIVER`: local disk under `STORAGE_LOCAL_DIR`, the S3 bucket `S3_BUCKET`, or the Azure
 * container `AZURE_CONTAINER`.
 */
export function createFileStorage(config: AppConfig): FileStorage {
  switch (config.storage.driver) {
    case 'local':
      return new LocalFileStorage(config.storage.localDir);
    case 's3':
      return new S3FileStorage(config.storage.s3);
    case 'azure':
      return new AzureBlobFileStorage(config.storage.azure);
  }
}
