import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CleanupExportsCommand, type CleanupSummary } from '@app/application';
import { type AppConfig } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import { CronJob } from 'cron';

/** The name of the cleanup's job in the SchedulerRegistry. */
export const EXPORT_CLEANUP_CRON = 'export-cleanup';

/**
 * The retention cleanup on CLEANUP_CRON (hourly by default), in every worker: the command's lock lets one of them
 * run it at a time and the others skip. This is `@Cron(config.cleanupCron)` by hand: the decorator takes its
 * expression when the class is defined, before the configuration is read, so the job is added to the
 * SchedulerRegistry at bootstrap instead, and ScheduleModule stops it on shutdown like its own. A run cut short by
 * shutdown is harmless: every step is idempotent and an object goes before the row that says it is gone.
 */
@Injectable()
export class ExportCleanupCron implements OnApplicationBootstrap {
  private readonly logger = new Logger(ExportCleanupCron.name);

  constructor(
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.config.cleanupCron,
      onTick: async () => {
        await this.cleanup();
      },
      start: true,
      waitForCompletion: true, // a tick while a run is still going is dropped
      name: EXPORT_CLEANUP_CRON,
    });
    this.scheduler.addCronJob(EXPORT_CLEANUP_CRON, job);
  }

  /** Dispatches one cleanup run and logs what it did; never rejects (the scheduler would only log it worse). */
  async cleanup(): Promise<CleanupSummary | null> {
    try {
      const summary = await this.commands.execute(new CleanupExportsCommand());
      if (summary.skipped) this.logger.log('retention cleanup skipped: another process is running it');
      else if (summary.errors > 0)
        this.logger.warn({ ...summary }, 'retention cleanup finished with errors; the next run retries them');
      else this.logger.log({ ...summary }, 'retention cleanup finished');
      return summary;
    } catch (error) {
      this.logger.error({ err: error }, 'retention cleanup failed');
      return null;
    }
  }
}
