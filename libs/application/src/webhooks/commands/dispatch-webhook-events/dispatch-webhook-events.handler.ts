import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../ports/clock';
import { WebhookDeliveryStore, WebhookQueue } from '../../../ports/webhook-delivery';
import { WebhookSettings } from '../../../ports/webhook-settings';
import { OutboxRelay } from '../../../notifications/outbox-relay';
import { DispatchWebhookEventsCommand, type WebhookDispatchSummary } from './dispatch-webhook-events.command';

const BATCH = 500;
/** Batches one run relays at most: a backlog (events of a time without workers) drains over a few runs. */
const MAX_BATCHES = 20;
/** Outbox events are kept this long after their dispatch (the mail relay reads them within seconds), then deleted. */
export const EVENT_RETENTION_MS = 7 * 24 * 3600_000;
/** How often one worker looks for events to delete, and how many it deletes at most each time. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_LIMIT = 10_000;

@CommandHandler(DispatchWebhookEventsCommand)
export class DispatchWebhookEventsHandler implements ICommandHandler<DispatchWebhookEventsCommand> {
  private lastPurge = 0;
  private readonly relay: OutboxRelay;

  constructor(
    private readonly deliveries: WebhookDeliveryStore,
    queue: WebhookQueue,
    private readonly clock: Clock,
    settings: WebhookSettings,
  ) {
    this.relay = new OutboxRelay(deliveries, queue, clock, settings.queueCheckIntervalMs);
  }

  async execute(): Promise<WebhookDispatchSummary> {
    let events = 0;
    const created: string[] = [];
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const dispatched = await this.deliveries.dispatchEvents(BATCH);
      events += dispatched.events;
      created.push(...dispatched.deliveryIds);
      if (dispatched.events < BATCH) break;
    }
    const enqueued = await this.relay.enqueue(created);
    const requeued = await this.relay.requeueLost();
    const now = this.clock.now().getTime();
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.deliveries.purgeEvents(new Date(now - EVENT_RETENTION_MS), PURGE_LIMIT);
    }
    return { events, enqueued, requeued };
  }
}
