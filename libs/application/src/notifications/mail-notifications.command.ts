import { Command } from '@nestjs/cqrs';

/** The mail relay: export ends whose requester asked for mail become mails on the `mail` queue. */
export class DispatchMailNotificationsCommand extends Command<{
  readonly events: number;
  readonly enqueued: number;
  /** Mails enqueued again because their queue entry was lost. */
  readonly requeued: number;
}> {}

/**
 * One attempt to send one mail. `final`: the queue will not try again. `sent` or `skipped` (already settled);
 * a failure that is to be retried throws.
 */
export class SendMailNotificationCommand extends Command<'sent' | 'skipped' | 'failed'> {
  constructor(
    readonly mailId: string,
    readonly final: boolean,
  ) {
    super();
  }
}
