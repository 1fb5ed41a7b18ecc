import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { WebhookQueue } from '@app/application';
import type { JobsOptions, Queue } from 'bullmq';
import { isLiveEntry, requeueEntry } from './live-entries';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookQueueData {
  readonly deliveryId: string;
}

/**
 * Keyed by the delivery, so a delivery enqueued twice (a dispatcher retrying after Redis came back) is one entry.
 * Retries are not BullMQ's attempts: the processor moves the entry to `delayed` until the time the delivery's
 * retry schedule chose, so the entry ends only when the delivery succeeded or was given up.
 */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 3, // a worker crash mid-attempt (the lease keeps a second send from overlapping)
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

@Injectable()
export class BullmqWebhookQueue extends WebhookQueue {
  constructor(@InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookQueueData>) {
    super();
  }

  async enqueue(deliveryId: string): Promise<void> {
    await this.queue.add('deliver', { deliveryId }, { ...WEBHOOK_JOB_OPTIONS, jobId: deliveryId });
  }

  isLive(deliveryId: string): Promise<boolean> {
    return isLiveEntry(this.queue, deliveryId);
  }

  requeue(deliveryId: string): Promise<void> {
    return requeueEntry(this.queue, deliveryId, () => this.enqueue(deliveryId));
  }
}
