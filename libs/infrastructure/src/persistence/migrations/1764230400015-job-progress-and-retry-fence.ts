import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * - `progress_changed_at`: when the current attempt last moved on: its exported row count changed, or it entered a
 *   later stage (null until its first row).
 *   The queue reconciler takes a job whose progress has not changed for EXPORT_STALL_AFTER_S from its attempt.
 * - `retried_by_id`: the one job that retries this one. The retry locks the original's row, reads it and sets it in
 *   the transaction that inserts the new job, so two concurrent retries make one job. Existing retries are linked to
 *   the earliest of them; the later duplicates keep their `retry_of`.
 */
export class JobProgressAndRetryFence1764230400015 implements MigrationInterface {
  name = 'JobProgressAndRetryFence1764230400015';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE export_jobs
        ADD COLUMN progress_changed_at timestamptz,
        ADD COLUMN retried_by_id uuid REFERENCES export_jobs(id);
      UPDATE export_jobs o SET retried_by_id = (
          SELECT r.id FROM export_jobs r WHERE r.retry_of = o.id ORDER BY r.requested_at, r.id LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM export_jobs r WHERE r.retry_of = o.id);
      CREATE UNIQUE INDEX export_jobs_retried_by_key ON export_jobs (retried_by_id) WHERE retried_by_id IS NOT NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX IF EXISTS export_jobs_retried_by_key;
      ALTER TABLE export_jobs DROP COLUMN IF EXISTS retried_by_id, DROP COLUMN IF EXISTS progress_changed_at;
    `);
  }
}
