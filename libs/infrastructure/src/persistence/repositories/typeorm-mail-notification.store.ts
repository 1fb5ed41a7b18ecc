import { randomUUID } from 'node:crypto';
import {
  type ComposedMail,
  type ExportEndFacts,
  MailNotificationStore,
  type PendingMail,
} from '@app/application';
import type { DataSource } from 'typeorm';

interface FactsRow {
  id: string;
  event_id: string;
  tenant_id: string;
  job_id: string;
  status: string;
  occurred_at: Date;
  requested_by_id: string | null;
  email: string | null;
  notify: string[] | null;
  cancelled_by: string | null;
  view_name: string | null;
  file_name: string | null;
  error_message: string | null;
}

export class TypeormMailNotificationStore extends MailNotificationStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /** Like the webhook relay: SKIP LOCKED on the outbox, its own `mailed_at` mark, a few statements per batch. */
  async dispatchEvents(
    limit: number,
    compose: (facts: ExportEndFacts) => ComposedMail | null,
  ): Promise<{ events: number; mailIds: string[] }> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<FactsRow[]>(
        `SELECT ev.id, ev.event_id, ev.tenant_id, ev.job_id, ev.status, ev.occurred_at, j.requested_by_id, u.email,
                j.notify, j.query->>'viewName' AS view_name, f.name AS file_name, j.error_message,
                (SELECT a.actor_id FROM audit_events a WHERE a.job_id = ev.job_id AND a.action = 'export.cancelled'
                  ORDER BY a.id DESC LIMIT 1) AS cancelled_by
           FROM export_job_events ev
           LEFT JOIN export_jobs j ON j.id = ev.job_id
           LEFT JOIN users u ON u.id = j.requested_by_id
           LEFT JOIN stored_files f ON f.id = j.file_id
          WHERE ev.mailed_at IS NULL
          ORDER BY ev.id LIMIT $1 FOR UPDATE OF ev SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return { events: 0, mailIds: [] };
      const mails: { id: string; row: FactsRow; mail: ComposedMail }[] = [];
      for (const row of rows) {
        if (row.requested_by_id === null || row.email === null || !row.notify?.includes('email')) continue;
        const mail = compose({
          eventId: row.event_id,
          tenantId: row.tenant_id,
          jobId: row.job_id,
          status: row.status,
          occurredAt: row.occurred_at,
          requesterId: row.requested_by_id,
          requesterEmail: row.email,
          notify: row.notify,
          cancelledBy: row.cancelled_by,
          viewName: row.view_name,
          fileName: row.file_name,
          errorMessage: row.error_message,
        });
        if (mail) mails.push({ id: randomUUID(), row, mail });
      }
      const created =
        mails.length === 0
          ? []
          : await manager.query<{ id: string }[]>(
              `INSERT INTO mail_notifications (id, tenant_id, event_id, job_id, recipient, subject, body)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[])
               ON CONFLICT (event_id) DO NOTHING RETURNING id`,
              [
                mails.map((m) => m.id),
                mails.map((m) => m.row.tenant_id),
                mails.map((m) => m.row.event_id),
                mails.map((m) => m.row.job_id),
                mails.map((m) => m.mail.to),
                mails.map((m) => m.mail.subject),
                mails.map((m) => m.mail.text),
              ],
            );
      await manager.query('UPDATE export_job_events SET mailed_at = now() WHERE id = ANY($1::bigint[])', [
        rows.map((r) => r.id),
      ]);
      return { events: rows.length, mailIds: created.map((r) => r.id) };
    });
  }

  async markEnqueued(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query('UPDATE mail_notifications SET enqueued = true WHERE id = ANY($1::uuid[])', [
      ids,
    ]);
  }

  async findUnenqueued(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM mail_notifications WHERE status = 'pending' AND NOT enqueued AND created_at < $1
        ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  async findOverdue(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM mail_notifications WHERE status = 'pending' AND enqueued AND created_at < $1
        ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  async beginAttempt(id: string): Promise<PendingMail | null> {
    const [rows] = await this.dataSource.query<
      [{ id: string; recipient: string; subject: string; body: string; attempts: number }[], number]
    >(
      `UPDATE mail_notifications SET attempts = attempts + 1 WHERE id = $1 AND status = 'pending'
        RETURNING id, recipient, subject, body, attempts`,
      [id],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          to: row.recipient,
          subject: row.subject,
          text: row.body,
          attemptsBefore: row.attempts - 1,
        }
      : null;
  }

  async recordSent(id: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_notifications SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1`,
      [id, at],
    );
  }

  async recordFailure(id: string, error: string, final: boolean): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_notifications SET last_error = $2, status = CASE WHEN $3 THEN 'failed' ELSE status END
        WHERE id = $1`,
      [id, error.slice(0, 1000), final],
    );
  }
}
