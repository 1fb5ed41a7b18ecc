import { Command } from '@nestjs/cqrs';

export interface WebhookDispatchSummary {
  /** Export events turned into deliveries (zero or more each). */
  readonly events: number;
  /** Deliveries handed to the queue, new ones and ones that had not reached it before. */
  readonly enqueued: number;
  /** Deliveries enqueued again because their queue entry was lost (Redis restarted without its data). */
  readonly requeued: number;
}

/**
 * The outbox's relay, run by every worker on a short interval: export events the database recorded with each
 * terminal state change become deliveries, and every delivery reaches the `webhooks` queue.
 */
export class DispatchWebhookEventsCommand extends Command<WebhookDispatchSummary> {}
