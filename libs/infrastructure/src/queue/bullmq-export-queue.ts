import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ExportQueue, type ExportJobRef } from '@app/application';
import type { Queue } from 'bullmq';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../nest/config.module';
import { EXPORT_QUEUE, exportJobOptions, type ExportQueueData } from './export-queue.constants';
import { isLiveEntry, requeueEntry } from './live-entries';

/** How long an enqueue may take before the caller gives up on Redis (the reconciler enqueues later). */
const ENQUEUE_TIMEOUT_MS = 3000;

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
    return isLiveEntry(this.queue, jobId);
  }

  /** Without the enqueue's timeout: only the worker's reconciler calls it, and its connection waits for Redis. */
  async requeue(ref: ExportJobRef): Promise<void> {
    await requeueEntry(this.queue, ref.jobId, () =>
      this.queue.add(
        'export',
        { tenantId: ref.tenantId, jobId: ref.jobId },
        exportJobOptions(this.config, ref.jobId),
      ),
    );
  }
}
