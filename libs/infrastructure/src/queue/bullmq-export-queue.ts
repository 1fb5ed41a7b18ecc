import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ExportQueue, type ExportJobRef } from '@app/application';
import type { JobState, Queue } from 'bullmq';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../nest/config.module';
import { EXPORT_QUEUE, exportJobOptions, type ExportQueueData } from './export-queue.constants';

/** How long an enqueue may take before the caller gives up on Redis (the reconciler enqueues later). */
const ENQUEUE_TIMEOUT_MS = 3000;

/** States of an entry that will still run: BullMQ's waiting (incl. prioritized and waiting-children), delayed, active. */
const LIVE_STATES: ReadonlySet<JobState | 'unknown'> = new Set<JobState | 'unknown'>([
  'waiting',
  'prioritized',
  'waiting-children',
  'delayed',
  'active',
]);

@Injectable()
export class BullmqExportQueue extends ExportQueue {
  constructor(
    @InjectQueue(EXPORT_QUEUE) private readonly queue: Queue<ExportQueueData>,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    super();
  }

  async enqueue(ref: ExportJobRef): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not accept job ${ref.jobId} within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([
        this.queue.add(
          'export',
          { tenantId: ref.tenantId, jobId: ref.jobId },
          exportJobOptions(this.config, ref.jobId),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async contains(jobId: string): Promise<boolean> {
    return (await this.queue.getJob(jobId)) !== undefined;
  }

  async isLive(jobId: string): Promise<boolean> {
    return LIVE_STATES.has(await this.queue.getJobState(jobId));
  }

  /** Without the enqueue's timeout: only the worker's reconciler calls it, and its connection waits for Redis. */
  async requeue(ref: ExportJobRef): Promise<void> {
    const entry = await this.queue.getJob(ref.jobId);
    if (entry && !LIVE_STATES.has(await entry.getState())) await entry.remove();
    await this.queue.add(
      'export',
      { tenantId: ref.tenantId, jobId: ref.jobId },
      exportJobOptions(this.config, ref.jobId),
    );
  }
}
