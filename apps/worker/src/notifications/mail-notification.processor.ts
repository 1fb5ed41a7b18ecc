import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SendMailNotificationCommand } from '@app/application';
import { MAIL_QUEUE, type MailQueueData } from '@app/infrastructure';
import type { Job } from 'bullmq';

/** Thin: one attempt to send one mail; a refusal throws and the queue retries it with backoff. */
@Processor(MAIL_QUEUE, { concurrency: 4 })
export class MailNotificationProcessor extends WorkerHost {
  private readonly logger = new Logger(MailNotificationProcessor.name);

  constructor(private readonly commands: CommandBus) {
    super();
  }

  async process(job: Job<MailQueueData>): Promise<string> {
    const { mailId } = job.data;
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      const outcome = await this.commands.execute(new SendMailNotificationCommand(mailId, final));
      this.logger.log({ mailId, outcome }, 'notification mail attempt ended');
      return outcome;
    } catch (error) {
      this.logger.warn(
        {
          mailId,
          attempt: job.attemptsMade + 1,
          err: error instanceof Error ? error.message : String(error),
        },
        'notification mail not sent; retrying later',
      );
      throw error;
    }
  }
}
