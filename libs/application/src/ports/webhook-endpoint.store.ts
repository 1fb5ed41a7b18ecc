import type { WebhookEndpointSpec, WebhookEventType } from '@app/domain';
import type { AuditEntry } from './audit-log';

export type WebhookEndpointStatus = 'enabled' | 'disabled';

/** An endpoint as its admins see it: never its secret. */
export interface WebhookEndpointView {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
  readonly status: WebhookEndpointStatus;
  /** Why it was disabled (`gone`: it answered 410; `failing`: deliveries failed for the whole retry window). */
  readonly disabledReason: string | null;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly secretRotatedAt: Date | null;
  /** Until then the secret before the last rotation signs too. */
  readonly previousSecretExpiresAt: Date | null;
}

export interface NewWebhookEndpoint extends WebhookEndpointSpec {
  readonly id: string;
  readonly tenantId: string;
  readonly createdById: string;
  /** `whsec_<base64>`: stored encrypted, never read back by the API. */
  readonly secret: string;
  readonly createdAt: Date;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveryView {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly jobId: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly lastResponseCode: number | null;
  readonly lastError: string | null;
  readonly lastDurationMs: number | null;
  readonly createdAt: Date;
  readonly lastAttemptAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor: string | null;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/**
 * The tenant's webhook endpoints. The tenant is part of every call, so another tenant's endpoint is simply not
 * found. Each change is written with its audit row in one transaction. Listings are newest first and throw
 * ValidationError (field `cursor`) on a cursor they did not make.
 */
export abstract class WebhookEndpointStore {
  abstract add(endpoint: NewWebhookEndpoint, audit: AuditEntry): Promise<void>;
  abstract find(tenantId: string, id: string): Promise<WebhookEndpointView | null>;
  abstract list(tenantId: string, page: PageRequest): Promise<Page<WebhookEndpointView>>;
  /** False when there is no such endpoint; its deliveries go with it. */
  abstract remove(tenantId: string, id: string, audit: AuditEntry): Promise<boolean>;
  /** The current secret becomes the previous one (signing until `previousValidUntil`); null when not found. */
  abstract rotateSecret(
    tenantId: string,
    id: string,
    rotation: { readonly secret: string; readonly now: Date; readonly previousValidUntil: Date },
    audit: AuditEntry,
  ): Promise<WebhookEndpointView | null>;
  abstract listDeliveries(
    tenantId: string,
    endpointId: string,
    page: PageRequest,
  ): Promise<Page<WebhookDeliveryView>>;
}
