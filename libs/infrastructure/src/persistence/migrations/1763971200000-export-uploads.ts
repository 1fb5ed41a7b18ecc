import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The upload journal: every multipart upload or temporary file an export attempt began, until it ends. */
export class ExportUploads1763971200000 implements MigrationInterface {
  name = 'ExportUploads1763971200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE export_uploads (
        upload_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        job_id uuid NOT NULL REFERENCES export_jobs(id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        provider text NOT NULL CHECK (provider IN ('local', 's3')),
        object_key text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        outcome text CHECK (outcome IN ('completed', 'aborted'))
      );
      CREATE INDEX export_uploads_job_idx ON export_uploads (tenant_id, job_id) WHERE finished_at IS NULL;
      CREATE INDEX export_uploads_unfinished_idx ON export_uploads (started_at) WHERE finished_at IS NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS export_uploads');
  }
}
