import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../ports/clock';
import { WebhookDeliveryStore, WebhookQueue } from '../../../ports/webhook-delivery';
import { DispatchWebhookEventsCommand, type WebhookDispatchSummary } from './dispatch-webhook-events.command';

const BATCH = 500;
/** Batches one run relays at most: a backlog (events of a time without workers) drains over a few runs. */
const MAX_BATCHES = 20;
/** A delivery this old that is not marked enqueued was missed (Redis away after its transaction committed). */
const ENQUEUE_GRACE_MS = 10_000;
/** Outbox events are kept this long after their dispatch (the mail relay reads them within seconds), then deleted. */
export const EVENT_RETENTION_MS = 7 * 24 * 3600_000;
/** How often one worker looks for events to delete, and how many it deletes at most each time. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_LIMIT = 10_000;

@CommandHandler(DispatchWebhookEventsCommand)
export class DispatchWebhookEventsHandler implements ICommandHandler<DispatchWebhookEventsCommand> {
  private lastPurge = 0;

  constructor(
    private readonly deliveries: WebhookDeliveryStore,
    private readonly queue: WebhookQueue,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<WebhookDispatchSummary> {
    let events = 0;
    const created: string[] = [];
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const dispatched = await this.deliveries.dispatchEvents(BATCH);
      events += dispatched.events;
      created.push(...dispatched.deliveryIds);
      if (dispatched.events < BATCH) break;
    }
    const missed = await this.deliveries.findUnenqueued(
      new Date(this.clock.now().getTime() - ENQUEUE_GRACE_MS),
      BATCH,
    );
    const ids = [...new Set([...created, ...missed])];
    // Enqueueing is idempotent (keyed by the delivery); one that fails stays unmarked and is tried next time.
    const enqueued: string[] = [];
    let failure: Error | null = null;
    for (const id of ids) {
      try {
        await this.queue.enqueue(id);
        enqueued.push(id);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error)); // Redis is away: the rest would fail alike; they are found unenqueued next time
        break;
      }
    }
    await this.deliveries.markEnqueued(enqueued);
    if (failure !== null) throw failure;
    const now = this.clock.now().getTime();
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.deliveries.purgeEvents(new Date(now - EVENT_RETENTION_MS), PURGE_LIMIT);
    }
    return { events, enqueued: enqueued.length };
  }
}
