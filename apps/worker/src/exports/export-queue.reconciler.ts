import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ReconcileExportQueueCommand, type ReconcileSummary } from '@app/application';
import { type AppConfig } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';

/** The name of the reconciler's interval in the SchedulerRegistry. */
export const EXPORT_QUEUE_RECONCILE_INTERVAL = 'export-queue-reconcile';

/**
 * The delivery guarantee (CONTRACT §6), in every worker: every EXPORT_RECONCILE_INTERVAL_S (15 s by default) it
 * dispatches ReconcileExportQueueCommand, which enqueues `queued` jobs that have no live queue entry. This is
 * `@Interval` by hand: the decorator takes its delay when the class is defined, before the configuration is read, so
 * the interval is added to the SchedulerRegistry at bootstrap instead, and ScheduleModule clears it on shutdown like
 * its own. A tick while a run is still going (Redis away: the worker's connection waits for it) is dropped.
 */
@Injectable()
export class ExportQueueReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ExportQueueReconciler.name);
  private running = false;

  constructor(
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const interval = setInterval(() => {
      void this.reconcile();
    }, this.config.reconcileIntervalSeconds * 1000);
    this.scheduler.addInterval(EXPORT_QUEUE_RECONCILE_INTERVAL, interval);
  }

  /** Dispatches one run and logs what it repaired; never rejects. Null when skipped or failed. */
  async reconcile(): Promise<ReconcileSummary | null> {
    if (this.running) return null;
    this.running = true;
    try {
      const summary = await this.commands.execute(new ReconcileExportQueueCommand());
      if (summary.enqueued > 0)
        this.logger.warn({ enqueued: summary.enqueued }, 'enqueued queued jobs that had no queue entry');
      return summary;
    } catch (error) {
      this.logger.error({ err: error }, 'queue reconcile failed; the next tick retries');
      return null;
    } finally {
      this.running = false;
    }
  }
}
