import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DispatchMailNotificationsCommand } from '@app/application';

export const MAIL_OUTBOX_INTERVAL = 'mail-outbox-relay';
const RELAY_INTERVAL_MS = 1000;

/** Every second, export ends whose requester asked for mail become mails on the `mail` queue (as the webhook relay). */
@Injectable()
export class MailOutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger(MailOutboxRelay.name);
  private running = false;

  constructor(
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval(
      MAIL_OUTBOX_INTERVAL,
      setInterval(() => void this.relay(), RELAY_INTERVAL_MS),
    );
  }

  async relay(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const summary = await this.commands.execute(new DispatchMailNotificationsCommand());
      if (summary.enqueued > 0) this.logger.log(summary, 'notification mails enqueued');
      if (summary.requeued > 0)
        this.logger.warn(summary, 'notification mails enqueued again: their queue entries were lost');
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'mail relay failed');
    } finally {
      this.running = false;
    }
  }
}
