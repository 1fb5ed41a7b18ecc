import {
  type AuditEntry,
  type NewWebhookEndpoint,
  type Page,
  type PageRequest,
  type WebhookDeliveryView,
  WebhookEndpointStore,
  type WebhookEndpointView,
} from '@app/application';
import type { WebhookEventType } from '@app/domain';
import type { DataSource } from 'typeorm';
import type { WebhookSecretCipher } from '../../webhooks/webhook-secret-cipher';
import { insertAuditRows } from './audit-rows';
import { decodeCursor, encodeCursor } from './keyset-cursor';

interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: Date;
  disabled_at: Date | null;
  disabled_reason: string | null;
  secret_rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
}

interface DeliveryRow {
  id: string;
  type: WebhookEventType;
  job_id: string;
  status: WebhookDeliveryView['status'];
  attempts: number;
  last_response_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: Date;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
}

const ENDPOINT_COLUMNS = `id, tenant_id, url, events, description, created_at, disabled_at, disabled_reason,
  secret_rotated_at, previous_secret_expires_at`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isInstant = (part: string): boolean => !Number.isNaN(Date.parse(part));
const isUuid = (part: string): boolean => UUID.test(part);

function endpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: row.events,
    description: row.description,
    status: row.disabled_at === null ? 'enabled' : 'disabled',
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    secretRotatedAt: row.secret_rotated_at,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

function deliveryView(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    type: row.type,
    jobId: row.job_id,
    status: row.status,
    attempts: row.attempts,
    lastResponseCode: row.last_response_code,
    lastError: row.last_error,
    lastDurationMs: row.last_duration_ms,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * One keyset page, newest first: `created_at` to the microsecond (as text, so the cursor loses nothing), then id.
 */
async function page<R extends { id: string }, T>(
  dataSource: DataSource,
  kind: string,
  sql: { from: string; params: unknown[]; columns: string },
  request: PageRequest,
  view: (row: R) => T,
): Promise<Page<T>> {
  const after = request.cursor === null ? null : decodeCursor(kind, request.cursor, [isInstant, isUuid]);
  const params = [...sql.params, request.limit + 1];
  let where = '';
  if (after) {
    params.push(after[0], after[1]);
    where = `AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows = await dataSource.query<(R & { key: string })[]>(
    `SELECT ${sql.columns}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key
       FROM ${sql.from} ${where}
      ORDER BY created_at DESC, id DESC LIMIT $${sql.params.length + 1}`,
    params,
  );
  const items = rows.slice(0, request.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    nextCursor: rows.length > request.limit && last ? encodeCursor(kind, [last.key, last.id]) : null,
  };
}

export class TypeormWebhookEndpointStore extends WebhookEndpointStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: WebhookSecretCipher,
  ) {
    super();
  }

  async add(endpoint: NewWebhookEndpoint, audit: AuditEntry): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO webhook_endpoints (id, tenant_id, url, events, description, secret_encrypted, created_by_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          endpoint.id,
          endpoint.tenantId,
          endpoint.url,
          endpoint.events,
          endpoint.description,
          this.cipher.encrypt(endpoint.secret, endpoint.id),
          endpoint.createdById,
          endpoint.createdAt,
        ],
      );
      await insertAuditRows(manager, [audit]);
    });
  }

  async find(tenantId: string, id: string): Promise<WebhookEndpointView | null> {
    const rows = await this.dataSource.query<EndpointRow[]>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ? endpointView(rows[0]) : null;
  }

  list(tenantId: string, request: PageRequest): Promise<Page<WebhookEndpointView>> {
    return page<EndpointRow, WebhookEndpointView>(
      this.dataSource,
      'webhook-endpoints',
      { from: 'webhook_endpoints WHERE tenant_id = $1', params: [tenantId], columns: ENDPOINT_COLUMNS },
      request,
      endpointView,
    );
  }

  async remove(tenantId: string, id: string, audit: AuditEntry): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [, deleted] = await manager.query<[unknown[], number]>(
        'DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2',
        [tenantId, id],
      );
      if (deleted !== 1) return false;
      await insertAuditRows(manager, [audit]);
      return true;
    });
  }

  async rotateSecret(
    tenantId: string,
    id: string,
    rotation: { secret: string; now: Date; previousValidUntil: Date },
    audit: AuditEntry,
  ): Promise<WebhookEndpointView | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[EndpointRow[], number]>(
        `UPDATE webhook_endpoints
            SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = $4,
                secret_encrypted = $3, secret_rotated_at = $5
          WHERE tenant_id = $1 AND id = $2
          RETURNING ${ENDPOINT_COLUMNS}`,
        [tenantId, id, this.cipher.encrypt(rotation.secret, id), rotation.previousValidUntil, rotation.now],
      );
      if (!rows[0]) return null;
      await insertAuditRows(manager, [audit]);
      return endpointView(rows[0]);
    });
  }

  listDeliveries(
    tenantId: string,
    endpointId: string,
    request: PageRequest,
  ): Promise<Page<WebhookDeliveryView>> {
    return page<DeliveryRow, WebhookDeliveryView>(
      this.dataSource,
      'webhook-deliveries',
      {
        from: 'webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2',
        params: [tenantId, endpointId],
        columns: `id, type, job_id, status, attempts, last_response_code, last_error, last_duration_ms, created_at,
          last_attempt_at, next_attempt_at, delivered_at`,
      },
      request,
      deliveryView,
    );
  }
}
