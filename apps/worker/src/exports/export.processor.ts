import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RunExportJobCommand, type RunExportJobOutcome } from '@app/application';
import { type AppConfig, EXPORT_QUEUE, type ExportQueueData } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import { DelayedError, type Job } from 'bullmq';
import { withAttemptLogContext } from '../logging/attempt-log-context';

/**
 * Thin: hands each delivery to the RunExportJob use case. A worker whose lock lapses (killed, frozen) has its job
 * moved back to the queue by BullMQ's stalled check after at most lockDuration + stalledInterval (about 20 s).
 */
@Processor(EXPORT_QUEUE, { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 2 })
export class ExportProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExportProcessor.name);
  private readonly shutdown = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly commands: CommandBus,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.exports.workerConcurrency;
  }

  process(job: Job<ExportQueueData>, token?: string): Promise<RunExportJobOutcome> {
    const { jobId, tenantId } = job.data;
    const attempt = job.attemptsMade + job.stalledCounter + 1; // failed and stalled deliveries before this one
    return withAttemptLogContext({ jobId, tenantId, attempt }, () => this.attempt(job, token));
  }

  private async attempt(job: Job<ExportQueueData>, token?: string): Promise<RunExportJobOutcome> {
    const run = this.commands.execute(
      new RunExportJobCommand(job.data.tenantId, job.data.jobId, this.shutdown.signal),
    );
    this.running.add(run);
    try {
      const outcome = await run;
      this.logger.log({ jobId: job.data.jobId, outcome }, 'export attempt ended');
      if (outcome === 'released' && token) {
        // Back to the queue without spending an attempt: another worker takes it.
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      return outcome;
    } finally {
      this.running.delete(run);
    }
  }

  /** SIGTERM: running exports stop between chunks and release their jobs while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort('shutdown');
    await Promise.allSettled([...this.running]);
  }
}
