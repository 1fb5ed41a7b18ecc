import { Command } from '@nestjs/cqrs';

/**
 * - `delivered`: the endpoint answered 2xx.
 * - `retry`: it failed and is to be tried again at `nextAttemptAt` (the retry schedule, with its jitter).
 * - `given-up`: failed for good (410, or the retry window is over); the endpoint may be disabled with it.
 * - `skipped`: nothing to send (already settled, another attempt holds it, or its endpoint is gone or disabled).
 */
export type DeliverWebhookOutcome =
  | { readonly result: 'delivered' | 'given-up' | 'skipped' }
  | { readonly result: 'retry'; readonly nextAttemptAt: Date };

/** One attempt of one delivery, run by the worker from the `webhooks` queue. */
export class DeliverWebhookCommand extends Command<DeliverWebhookOutcome> {
  constructor(readonly deliveryId: string) {
    super();
  }
}
