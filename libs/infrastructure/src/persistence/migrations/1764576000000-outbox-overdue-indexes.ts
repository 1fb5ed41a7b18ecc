import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every worker looks for pending webhook deliveries and mails that are marked enqueued but overdue (their queue entry
 * may have been lost) once per EXPORT_RECONCILE_INTERVAL_S: partial indexes keep that read to the few pending rows,
 * however many settled ones the tables hold.
 */
export class OutboxOverdueIndexes1764576000000 implements MigrationInterface {
  name = 'OutboxOverdueIndexes1764576000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX IF NOT EXISTS webhook_deliveries_enqueued_pending_idx ON webhook_deliveries (created_at)
        WHERE status = 'pending' AND enqueued;
      CREATE INDEX IF NOT EXISTS mail_notifications_enqueued_pending_idx ON mail_notifications (created_at)
        WHERE status = 'pending' AND enqueued;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX IF EXISTS webhook_deliveries_enqueued_pending_idx;
      DROP INDEX IF EXISTS mail_notifications_enqueued_pending_idx;
    `);
  }
}
