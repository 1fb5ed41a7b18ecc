import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../ports/clock';
import { Mailer, MailNotificationStore, MailNotSentError, MailQueue, MailSettings } from '../ports/mail';
import { exportEndMail } from './export-end-mail';
import { DispatchMailNotificationsCommand, SendMailNotificationCommand } from './mail-notifications.command';

const BATCH = 500;
const MAX_BATCHES = 20;
const ENQUEUE_GRACE_MS = 10_000;

@CommandHandler(DispatchMailNotificationsCommand)
export class DispatchMailNotificationsHandler implements ICommandHandler<DispatchMailNotificationsCommand> {
  constructor(
    private readonly mails: MailNotificationStore,
    private readonly queue: MailQueue,
    private readonly settings: MailSettings,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<{ events: number; enqueued: number }> {
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
    const missed = await this.mails.findUnenqueued(
      new Date(this.clock.now().getTime() - ENQUEUE_GRACE_MS),
      BATCH,
    );
    const enqueued: string[] = [];
    let failure: Error | null = null;
    for (const id of new Set([...created, ...missed])) {
      try {
        await this.queue.enqueue(id);
        enqueued.push(id);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        break;
      }
    }
    await this.mails.markEnqueued(enqueued);
    if (failure !== null) throw failure;
    return { events, enqueued: enqueued.length };
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
