import { MailQueue } from '@app/application';
import type { JobsOptions, Queue } from 'bullmq';
import { isLiveEntry, requeueEntry } from './live-entries';

export const MAIL_QUEUE = 'mail';

export interface MailQueueData {
  readonly mailId: string;
}

/** Eight attempts, the first retry after MAIL_RETRY_DELAY_MS and doubling (30 s .. about 1 h by default). */
export const MAIL_ATTEMPTS = 8;

export function mailJobOptions(retryDelayMs: number, mailId: string): JobsOptions {
  return {
    jobId: mailId,
    attempts: MAIL_ATTEMPTS,
    backoff: { type: 'exponential', delay: retryDelayMs },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** Built by MailModule's factory (the retry delay is configuration). */
export class BullmqMailQueue extends MailQueue {
  constructor(
    private readonly queue: Queue<MailQueueData>,
    private readonly retryDelayMs: number,
  ) {
    super();
  }

  async enqueue(mailId: string): Promise<void> {
    await this.queue.add('send', { mailId }, mailJobOptions(this.retryDelayMs, mailId));
  }

  isLive(mailId: string): Promise<boolean> {
    return isLiveEntry(this.queue, mailId);
  }

  requeue(mailId: string): Promise<void> {
    return requeueEntry(this.queue, mailId, () => this.enqueue(mailId));
  }
}
