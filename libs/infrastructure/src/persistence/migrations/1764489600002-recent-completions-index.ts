import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The export estimate reads the service's recent throughput from the last completed jobs (newest first) on every
 * call: an index keeps that a few rows read however many jobs the table holds.
 */
export class RecentCompletionsIndex1764489600002 implements MigrationInterface {
  name = 'RecentCompletionsIndex1764489600002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX IF NOT EXISTS export_jobs_completed_idx ON export_jobs (completed_at DESC)
        WHERE completed_at IS NOT NULL AND status IN ('completed', 'expired');
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX IF EXISTS export_jobs_completed_idx;');
  }
}
