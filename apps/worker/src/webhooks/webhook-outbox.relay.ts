import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DispatchWebhookEventsCommand } from '@app/application';

export const WEBHOOK_OUTBOX_INTERVAL = 'webhook-outbox-relay';
/** How often each worker looks for export events to deliver: the latency a receiver sees on top of the job's end. */
const RELAY_INTERVAL_MS = 1000;

/**
 * Relays the outbox every second: dispatches DispatchWebhookEventsCommand, which turns new export events into
 * deliveries and hands them (and any that missed the queue) to the `webhooks` queue. A tick while a run is still
 * going is dropped; a failed run (PostgreSQL or Redis away) is logged and tried again at the next tick.
 */
@Injectable()
export class WebhookOutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookOutboxRelay.name);
  private running = false;

  constructor(
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const interval = setInterval(() => void this.relay(), RELAY_INTERVAL_MS);
    this.scheduler.addInterval(WEBHOOK_OUTBOX_INTERVAL, interval);
  }

  async relay(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const summary = await this.commands.execute(new DispatchWebhookEventsCommand());
      if (summary.enqueued > 0) this.logger.log(summary, 'webhook deliveries enqueued');
      if (summary.requeued > 0)
        this.logger.warn(summary, 'webhook deliveries enqueued again: their queue entries were lost');
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'webhook relay failed',
      );
    } finally {
      this.running = false;
    }
  }
}
