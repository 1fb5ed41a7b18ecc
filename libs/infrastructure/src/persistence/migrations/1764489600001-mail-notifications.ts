import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * E-mail when an export ends (issue 14 §2).
 * - `export_jobs.notify`: the channels the requester asked for (`{email}`), fixed at request time.
 * - `export_job_events.mailed_at`: the mail relay's own mark on the outbox, next to the webhook relay's
 *   `dispatched_at`, so each relay takes every event once and neither waits for the other.
 * - `mail_notifications`: at most one mail per event; sent from the `mail` queue, its outcome kept here.
 */
export class MailNotifications1764489600001 implements MigrationInterface {
  name = 'MailNotifications1764489600001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE export_jobs ADD COLUMN notify text[] NOT NULL DEFAULT '{}';
      ALTER TABLE export_job_events ADD COLUMN mailed_at timestamptz;
      CREATE INDEX export_job_events_unmailed_idx ON export_job_events (id) WHERE mailed_at IS NULL;

      CREATE TABLE mail_notifications (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        event_id uuid NOT NULL UNIQUE,
        job_id uuid NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        enqueued boolean NOT NULL DEFAULT false,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      );
      CREATE INDEX mail_notifications_unenqueued_idx ON mail_notifications (created_at)
        WHERE status = 'pending' AND NOT enqueued;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS mail_notifications;
      ALTER TABLE export_job_events DROP COLUMN IF EXISTS mailed_at;
      ALTER TABLE export_jobs DROP COLUMN IF EXISTS notify;
    `);
  }
}
