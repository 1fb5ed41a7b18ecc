import { OutboxQueue, type OutboxRows } from './outbox-queue';

/** The facts about a job's end that decide and compose its mail, read with the outbox event. */
export interface ExportEndFacts {
  readonly eventId: string;
  readonly tenantId: string;
  readonly jobId: string;
  readonly status: string;
  readonly occurredAt: Date;
  readonly requesterId: string;
  readonly requesterEmail: string;
  readonly notify: readonly string[];
  /** Who cancelled the job (its `export.cancelled` audit row); null for none or the system. */
  readonly cancelledBy: string | null;
  readonly viewName: string | null;
  readonly fileName: string | null;
  readonly errorMessage: string | null;
}

export interface ComposedMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface PendingMail extends ComposedMail {
  readonly id: string;
  readonly attemptsBefore: number;
}

/**
 * Mails of export ends. The relay takes outbox events (its own mark, independent of the webhook relay), asks
 * `compose` for each and keeps at most one mail per event, all in one transaction.
 */
export abstract class MailNotificationStore implements OutboxRows {
  abstract dispatchEvents(
    limit: number,
    compose: (facts: ExportEndFacts) => ComposedMail | null,
  ): Promise<{ readonly events: number; readonly mailIds: readonly string[] }>;
  abstract markEnqueued(ids: readonly string[]): Promise<void>;
  abstract findUnenqueued(before: Date, limit: number): Promise<readonly string[]>;
  /** Pending, enqueued mails made before `before` (a mail's retries are its queue entry's backoff). */
  abstract findOverdue(before: Date, limit: number): Promise<readonly string[]>;
  /** A pending mail, counting this attempt; null once sent or failed. */
  abstract beginAttempt(id: string): Promise<PendingMail | null>;
  abstract recordSent(id: string, at: Date): Promise<void>;
  /** `final`: no attempt follows, the mail is failed. */
  abstract recordFailure(id: string, error: string, final: boolean): Promise<void>;
}

/** The SMTP server refused or could not take the mail; `permanent` (5xx) is not worth retrying. */
export class MailNotSentError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailNotSentError';
  }
}

/** Sends one plain-text mail; throws MailNotSentError when it was not accepted. */
export abstract class Mailer {
  abstract send(mail: ComposedMail): Promise<void>;
}

/** The `mail` queue: one entry per mail, keyed by its id, retried by the queue with backoff. */
export abstract class MailQueue extends OutboxQueue {}

export abstract class MailSettings {
  /** PUBLIC_BASE_URL: mails link to `<it>/admin#/jobs/<id>`. */
  abstract readonly publicBaseUrl: string;
  /** EXPORT_RECONCILE_INTERVAL_S: how often a worker looks for mails whose queue entry was lost. */
  abstract readonly queueCheckIntervalMs: number;
}
