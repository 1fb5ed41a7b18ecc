import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Files and journaled uploads may live in Azure Blob Storage too (STORAGE_DRIVER=azure). */
export class AzureStorageProvider1764460800000 implements MigrationInterface {
  name = 'AzureStorageProvider1764460800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stored_files DROP CONSTRAINT stored_files_provider_check,
        ADD CONSTRAINT stored_files_provider_check CHECK (provider IN ('local', 's3', 'azure'));
      ALTER TABLE export_uploads DROP CONSTRAINT export_uploads_provider_check,
        ADD CONSTRAINT export_uploads_provider_check CHECK (provider IN ('local', 's3', 'azure'));
    `);
  }

  /** Refused (by the constraint) while an Azure row exists: delete or move those first. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stored_files DROP CONSTRAINT stored_files_provider_check,
        ADD CONSTRAINT stored_files_provider_check CHECK (provider IN ('local', 's3'));
      ALTER TABLE export_uploads DROP CONSTRAINT export_uploads_provider_check,
        ADD CONSTRAINT export_uploads_provider_check CHECK (provider IN ('local', 's3'));
    `);
  }
}
