import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../ports/clock';
import { Mailer, MailNotificationStore, MailNotSentError, MailQueue, MailSettings } from '../ports/mail';
import { exportEndMail } from './export-end-mail';
import { OutboxRelay } from './outbox-relay';
import { DispatchMailNotificationsCommand, SendMailNotificationCommand } from './mail-notifications.command';

const BATCH = 500;
const MAX_BATCHES = 20;

@CommandHandler(DispatchMailNotificationsCommand)
export class DispatchMailNotificationsHandler implements ICommandHandler<DispatchMailNotificationsCommand> {
  private readonly relay: OutboxRelay;

  constructor(
    private readonly mails: MailNotificationStore,
    queue: MailQueue,
    private readonly settings: MailSettings,
    clock: Clock,
  ) {
    this.relay = new OutboxRelay(mails, queue, clock, settings.queueCheckIntervalMs);
  }

  async execute(): Promise<{ events: number; enqueued: number; requeued: number }> {
    let events = 0;
    const created: string[] = [];
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const dispatched = await this.mails.dispatchEvents(BATCH, (facts) =>
        exportEndMail(facts, this.settings.publicBaseUrl),
      );
      events += dispatched.events;
      created.push(...dispatched.mailIds);
      if (dispatched.events < BATCH) break;
    }
    const enqueued = await this.relay.enqueue(created);
    const requeued = await this.relay.requeueLost();
    return { events, enqueued, requeued };
  }
}

/** A mail that is not accepted is retried by the queue; it never touches the export it is about. */
@CommandHandler(SendMailNotificationCommand)
export class SendMailNotificationHandler implements ICommandHandler<SendMailNotificationCommand> {
  constructor(
    private readonly mails: MailNotificationStore,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
  ) {}

  async execute({ mailId, final }: SendMailNotificationCommand): Promise<'sent' | 'skipped' | 'failed'> {
    const mail = await this.mails.beginAttempt(mailId);
    if (!mail) return 'skipped';
    try {
      await this.mailer.send(mail);
    } catch (error) {
      const permanent = error instanceof MailNotSentError && error.permanent;
      const message = error instanceof Error ? error.message : String(error);
      await this.mails.recordFailure(mailId, message, final || permanent);
      if (final || permanent) return 'failed';
      throw error;
    }
    await this.mails.recordSent(mailId, this.clock.now());
    return 'sent';
  }
}
