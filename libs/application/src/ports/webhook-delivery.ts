import type { AuditEntry } from './audit-log';
import { OutboxQueue, type OutboxRows } from './outbox-queue';

/** What one attempt needs, loaded when it starts. */
export interface WebhookDeliveryAttempt {
  readonly id: string;
  readonly tenantId: string;
  readonly endpointId: string;
  readonly url: string;
  /** The exact bytes every attempt sends. */
  readonly body: string;
  /** Current secret first, then the previous one while it still signs (`whsec_...`). */
  readonly secrets: readonly string[];
  /** Attempts before this one. */
  readonly attemptsBefore: number;
  /** The first failed attempt's time; null before any failed. */
  readonly firstFailedAt: Date | null;
  /** Since when the endpoint's deliveries have failed without a success in between; null when they have not. */
  readonly endpointFailingSince: Date | null;
}

/** Why an attempt could not start: delivered or given up already, or its endpoint is gone or disabled. */
export type AttemptRefusal = 'not-pending' | 'endpoint-disabled';

export interface AttemptResult {
  readonly at: Date;
  readonly responseCode: number | null;
  readonly error: string | null;
  readonly durationMs: number | null;
}

export abstract class WebhookDeliveryStore implements OutboxRows {
  /**
   * Takes undispatched export events (written by the database in the transaction of the job's state change) and
   * makes one delivery per subscribed, enabled endpoint of the event's tenant, in one transaction: an event is
   * dispatched once however many workers poll. Returns the new deliveries.
   */
  abstract dispatchEvents(
    limit: number,
  ): Promise<{ readonly events: number; readonly deliveryIds: readonly string[] }>;
  abstract markEnqueued(deliveryIds: readonly string[]): Promise<void>;
  /**
   * Deletes up to `limit` outbox events dispatched before `before` (their deliveries and mails keep their own
   * rows); returns how many.
   */
  abstract purgeEvents(before: Date, limit: number): Promise<number>;
  /** Pending deliveries created before `before` that never reached the queue (Redis was away). */
  abstract findUnenqueued(before: Date, limit: number): Promise<readonly string[]>;
  /** Pending, enqueued, unleased deliveries whose next attempt (or creation) is before `before`. */
  abstract findOverdue(before: Date, limit: number): Promise<readonly string[]>;
  /**
   * Starts an attempt: only a pending delivery of an enabled endpoint, and only one attempt at a time (a lease of
   * `leaseMs`, so a second queue entry for the same delivery does not send it twice meanwhile).
   */
  abstract beginAttempt(
    id: string,
    now: Date,
    leaseMs: number,
  ): Promise<WebhookDeliveryAttempt | AttemptRefusal>;
  abstract recordSuccess(attempt: WebhookDeliveryAttempt, result: AttemptResult): Promise<void>;
  /** A failed attempt that will be retried at `nextAttemptAt`. */
  abstract recordRetry(
    attempt: WebhookDeliveryAttempt,
    result: AttemptResult,
    nextAttemptAt: Date,
  ): Promise<void>;
  /** A failed attempt after which the delivery is given up; `disable` also disables the endpoint (audited). */
  abstract recordGiveUp(
    attempt: WebhookDeliveryAttempt,
    result: AttemptResult,
    disable: { readonly reason: 'gone' | 'failing'; readonly audit: AuditEntry } | null,
  ): Promise<void>;
  /** A delivery whose endpoint was disabled meanwhile: failed without an attempt. */
  abstract cancel(id: string, reason: string): Promise<void>;
}

export type WebhookSendResult =
  | { readonly outcome: 'responded'; readonly status: number; readonly durationMs: number }
  | { readonly outcome: 'unreachable'; readonly error: string; readonly durationMs: number }
  | { readonly outcome: 'refused'; readonly error: string };

/**
 * Sends one signed delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`), to the
 * address its destination check resolved, without following redirects, reading at most 4 KB of the answer.
 */
export abstract class WebhookSender {
  abstract send(request: {
    readonly url: string;
    readonly messageId: string;
    readonly timestamp: Date;
    readonly body: string;
    readonly secrets: readonly string[];
  }): Promise<WebhookSendResult>;
}

/** The `webhooks` queue: one entry per delivery, keyed by its id, retried by the queue with the retry schedule. */
export abstract class WebhookQueue extends OutboxQueue {}
