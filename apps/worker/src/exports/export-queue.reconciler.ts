import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { type AppConfig } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import {
  EXPORT_QUEUE,
  exportJobOptions,
  type ExportQueueData,
} from '@app/infrastructure/queue/export-queue.constants';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

/** A queued job untouched for this long without a queue entry was accepted while Redis was away. */
const GRACE_SECONDS = 10;

/**
 * The delivery guarantee (CONTRACT §6): the API commits a job to PostgreSQL first and then enqueues it; when Redis
 * hiccups in between, the job is still `queued` in the database. Every 15 s this finds such jobs and enqueues
 * them. Enqueueing is idempotent (entry id = job id), so several workers reconciling at once are harmless.
 */
@Injectable()
export class ExportQueueReconciler {
  private readonly logger = new Logger(ExportQueueReconciler.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(EXPORT_QUEUE) private readonly queue: Queue<ExportQueueData>,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Interval(15_000)
  async reconcile(): Promise<number> {
    const rows: { tenant_id: string; id: string }[] = await this.dataSource.query(
      `SELECT tenant_id, id FROM export_jobs
        WHERE status = 'queued' AND updated_at < now() - make_interval(secs => $1)
        ORDER BY requested_at LIMIT 500`,
      [GRACE_SECONDS],
    );
    let enqueued = 0;
    for (const row of rows) {
      const entry = await this.queue.getJob(row.id);
      const state = entry ? await entry.getState() : 'missing';
      if (state !== 'missing' && state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      if (entry) await entry.remove();
      await this.queue.add(
        'export',
        { tenantId: row.tenant_id, jobId: row.id },
        exportJobOptions(this.config, row.id),
      );
      enqueued++;
    }
    if (enqueued > 0) this.logger.warn({ enqueued }, 'enqueued queued jobs that had no queue entry');
    return enqueued;
  }
}
