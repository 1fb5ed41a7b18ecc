import {
  type AttemptRefusal,
  type AttemptResult,
  type AuditEntry,
  type WebhookDeliveryAttempt,
  WebhookDeliveryStore,
} from '@app/application';
import { webhookEventOf, webhookPayload } from '@app/domain';
import type { DataSource, EntityManager } from 'typeorm';
import type { WebhookSecretCipher } from '../../webhooks/webhook-secret-cipher';
import { insertAuditRows } from './audit-rows';

interface EventRow {
  id: string;
  event_id: string;
  tenant_id: string;
  job_id: string;
  status: string;
  occurred_at: Date;
}

interface AttemptRow {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  url: string;
  body: string;
  attempts: number;
  first_failed_at: Date | null;
  failing_since: Date | null;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
}

export class TypeormWebhookDeliveryStore extends WebhookDeliveryStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: WebhookSecretCipher,
  ) {
    super();
  }

  /**
   * SKIP LOCKED: workers polling at once take different events, and an event is dispatched once. Four statements
   * per batch whatever its size, so a backlog of events of tenants without endpoints drains fast.
   */
  async dispatchEvents(limit: number): Promise<{ events: number; deliveryIds: string[] }> {
    return this.dataSource.transaction(async (manager) => {
      const events = await manager.query<EventRow[]>(
        `SELECT id, event_id, tenant_id, job_id, status, occurred_at FROM export_job_events
          WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (events.length === 0) return { events: 0, deliveryIds: [] };
      const endpoints = await manager.query<{ id: string; tenant_id: string; events: string[] }[]>(
        `SELECT id, tenant_id, events FROM webhook_endpoints
          WHERE tenant_id = ANY($1::uuid[]) AND disabled_at IS NULL`,
        [[...new Set(events.map((e) => e.tenant_id))]],
      );
      const rows: { endpointId: string; event: EventRow; type: string; body: string }[] = [];
      for (const event of events) {
        const type = webhookEventOf(event.status);
        if (type === null) continue;
        const body = webhookPayload({
          type,
          jobId: event.job_id,
          status: event.status,
          occurredAt: event.occurred_at,
        });
        for (const endpoint of endpoints)
          if (endpoint.tenant_id === event.tenant_id && endpoint.events.includes(type))
            rows.push({ endpointId: endpoint.id, event, type, body });
      }
      const created =
        rows.length === 0
          ? []
          : await manager.query<{ id: string }[]>(
              `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, type, job_id, body)
               SELECT gen_random_uuid(), * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[])
               ON CONFLICT (endpoint_id, event_id) DO NOTHING
               RETURNING id`,
              [
                rows.map((r) => r.event.tenant_id),
                rows.map((r) => r.endpointId),
                rows.map((r) => r.event.event_id),
                rows.map((r) => r.type),
                rows.map((r) => r.event.job_id),
                rows.map((r) => r.body),
              ],
            );
      await manager.query('UPDATE export_job_events SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [
        events.map((e) => e.id),
      ]);
      return { events: events.length, deliveryIds: created.map((row) => row.id) };
    });
  }

  async purgeEvents(before: Date, limit: number): Promise<number> {
    const [, deleted] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM export_job_events WHERE id IN (
         SELECT id FROM export_job_events WHERE dispatched_at < $1 ORDER BY dispatched_at LIMIT $2)`,
      [before, limit],
    );
    return deleted;
  }

  async markEnqueued(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.dataSource.query('UPDATE webhook_deliveries SET enqueued = true WHERE id = ANY($1::uuid[])', [
      deliveryIds,
    ]);
  }

  async findUnenqueued(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND NOT enqueued AND created_at < $1
        ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((row) => row.id);
  }

  async findOverdue(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND enqueued AND coalesce(next_attempt_at, created_at) < $1
          AND (locked_until IS NULL OR locked_until < now())
        ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((row) => row.id);
  }

  async beginAttempt(
    id: string,
    now: Date,
    leaseMs: number,
  ): Promise<WebhookDeliveryAttempt | AttemptRefusal> {
    const [rows] = await this.dataSource.query<[AttemptRow[], number]>(
      `UPDATE webhook_deliveries d
          SET locked_until = $2::timestamptz + make_interval(secs => $3::double precision / 1000),
              attempts = d.attempts + 1, last_attempt_at = $2
         FROM webhook_endpoints e
        WHERE d.id = $1 AND e.id = d.endpoint_id AND d.status = 'pending' AND e.disabled_at IS NULL
          AND (d.locked_until IS NULL OR d.locked_until < $2)
        RETURNING d.id, d.tenant_id, d.endpoint_id, e.url, d.body, d.attempts, d.first_failed_at, e.failing_since,
                  e.secret_encrypted, e.previous_secret_encrypted, e.previous_secret_expires_at`,
      [id, now, leaseMs],
    );
    const row = rows[0];
    if (!row) {
      const [state] = await this.dataSource.query<{ status: string; disabled: boolean }[]>(
        `SELECT d.status, e.disabled_at IS NOT NULL AS disabled FROM webhook_deliveries d
           JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
        [id],
      );
      return state?.status === 'pending' && state.disabled ? 'endpoint-disabled' : 'not-pending';
    }
    const secrets = [this.cipher.decrypt(row.secret_encrypted, row.endpoint_id)];
    if (
      row.previous_secret_encrypted &&
      row.previous_secret_expires_at &&
      row.previous_secret_expires_at > now
    )
      secrets.push(this.cipher.decrypt(row.previous_secret_encrypted, row.endpoint_id));
    return {
      id: row.id,
      tenantId: row.tenant_id,
      endpointId: row.endpoint_id,
      url: row.url,
      body: row.body,
      secrets,
      attemptsBefore: row.attempts - 1,
      firstFailedAt: row.first_failed_at,
      endpointFailingSince: row.failing_since,
    };
  }

  async recordSuccess(attempt: WebhookDeliveryAttempt, result: AttemptResult): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.settle(manager, attempt.id, 'succeeded', result, null);
      await manager.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1', [
        attempt.endpointId,
      ]);
    });
  }

  async recordRetry(
    attempt: WebhookDeliveryAttempt,
    result: AttemptResult,
    nextAttemptAt: Date,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.settle(manager, attempt.id, 'pending', result, nextAttemptAt);
      await this.failing(manager, attempt.endpointId, result.at);
    });
  }

  async recordGiveUp(
    attempt: WebhookDeliveryAttempt,
    result: AttemptResult,
    disable: { reason: 'gone' | 'failing'; audit: AuditEntry } | null,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.settle(manager, attempt.id, 'failed', result, null);
      await this.failing(manager, attempt.endpointId, result.at);
      if (!disable) return;
      const [, disabled] = await manager.query<[unknown[], number]>(
        `UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3 WHERE id = $1 AND disabled_at IS NULL`,
        [attempt.endpointId, result.at, disable.reason],
      );
      if (disabled === 1) await insertAuditRows(manager, [disable.audit]);
    });
  }

  async cancel(id: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL
        WHERE id = $1 AND status = 'pending'`,
      [id, reason],
    );
  }

  private async settle(
    manager: EntityManager,
    id: string,
    status: 'pending' | 'succeeded' | 'failed',
    result: AttemptResult,
    nextAttemptAt: Date | null,
  ): Promise<void> {
    await manager.query(
      `UPDATE webhook_deliveries
          SET status = $2, last_response_code = $3, last_error = $4, last_duration_ms = $5, locked_until = NULL,
              next_attempt_at = $6, delivered_at = CASE WHEN $2 = 'succeeded' THEN $7::timestamptz END,
              first_failed_at = CASE WHEN $2 = 'succeeded' THEN first_failed_at
                                     ELSE coalesce(first_failed_at, $7::timestamptz) END
        WHERE id = $1`,
      [id, status, result.responseCode, result.error, result.durationMs, nextAttemptAt, result.at],
    );
  }

  private async failing(manager: EntityManager, endpointId: string, at: Date): Promise<void> {
    await manager.query(
      'UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1',
      [endpointId, at],
    );
  }
}
