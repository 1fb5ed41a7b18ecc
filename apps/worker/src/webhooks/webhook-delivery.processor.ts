import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DeliverWebhookCommand } from '@app/application';
import { WEBHOOK_QUEUE, type WebhookQueueData } from '@app/infrastructure';
import { DelayedError, type Job } from 'bullmq';

/**
 * Thin: one attempt of one delivery per run. A failed attempt that is to be retried moves the entry to `delayed`
 * until the time the use case chose (exponential backoff with jitter), without spending one of the queue's attempts:
 * those only cover a worker lost mid-attempt.
 */
@Processor(WEBHOOK_QUEUE, { concurrency: 8 })
export class WebhookDeliveryProcessor extends WorkerHost {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(private readonly commands: CommandBus) {
    super();
  }

  async process(job: Job<WebhookQueueData>, token?: string): Promise<string> {
    const { deliveryId } = job.data;
    const outcome = await this.commands.execute(new DeliverWebhookCommand(deliveryId));
    this.logger.log({ deliveryId, outcome: outcome.result }, 'webhook delivery attempt ended');
    if (outcome.result === 'retry' && token) {
      await job.moveToDelayed(outcome.nextAttemptAt.getTime(), token);
      throw new DelayedError();
    }
    return outcome.result;
  }
}
