import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  errorName,
  ExportFailureClassifier,
  RetryableExportError,
  RunExportJobCommand,
  type RunExportJobOutcome,
} from '@app/application';
import { type AppConfig, EXPORT_QUEUE, type ExportQueueData } from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import { DelayedError, type Job } from 'bullmq';
import { withAttemptLogContext } from '../logging/attempt-log-context';

/** Delay before the first retry of an attempt that could not record its end; doubled each time, up to the cap. */
const POSTPONE_FIRST_MS = 1_000;
const POSTPONE_MAX_MS = 30_000;
/** About 30 min of postponements in a row (at the cap): past them the queue's own attempts take over. */
const POSTPONE_LIMIT = 64;

/**
 * Thin: hands each delivery to the RunExportJob use case. A worker whose lock lapses (killed, frozen) has its job
 * moved back to the queue by BullMQ's stalled check after at most lockDuration + stalledInterval (about 20 s).
 */
@Processor(EXPORT_QUEUE, { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 2 })
export class ExportProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExportProcessor.name);
  private readonly shutdown = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  /** Postponements in a row of each queue entry this worker could not settle (reset once an attempt ends). */
  private readonly postponements = new Map<string, number>();

  constructor(
    private readonly commands: CommandBus,
    @InjectConfig() private readonly config: AppConfig,
    private readonly failures: ExportFailureClassifier,
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
    const { jobId } = job.data;
    const run = this.commands.execute(
      new RunExportJobCommand(job.data.tenantId, jobId, this.shutdown.signal),
    );
    this.running.add(run);
    try {
      let outcome: RunExportJobOutcome;
      try {
        outcome = await run;
      } catch (error) {
        if (error instanceof RetryableExportError) this.postponements.delete(jobId);
        else if (token) await this.postpone(job, token, error);
        throw error;
      }
      this.postponements.delete(jobId);
      this.logger.log({ jobId, outcome }, 'export attempt ended');
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

  /**
   * The attempt failed and could not record it (PostgreSQL down or stalled: the job's row may still say `running`).
   * The entry goes back to the queue for later, with backoff and without spending one of the queue's attempts, so
   * the job resumes once PostgreSQL answers again; the job's own attempts counter still bounds the retries. A
   * failure that is not an outage, or too many postponements in a row, is left to the queue's attempts.
   */
  private async postpone(job: Job<ExportQueueData>, token: string, error: unknown): Promise<void> {
    const { jobId } = job.data;
    const count = (this.postponements.get(jobId) ?? 0) + 1;
    if (!this.failures.isTransient(error) || count > POSTPONE_LIMIT) {
      this.postponements.delete(jobId);
      return;
    }
    this.postponements.set(jobId, count);
    const delayMs = Math.min(POSTPONE_MAX_MS, POSTPONE_FIRST_MS * 2 ** (count - 1));
    this.logger.warn(
      { jobId, postponement: count, delayMs, err: errorName(error) },
      'export attempt could not record its end; retrying it later',
    );
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  /**
   * SIGTERM: no new entry is fetched from now on; running exports stop between chunks and release their jobs
   * (unspent) while the database is still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const paused = this.worker.pause(true).catch((error: unknown) => {
      this.logger.warn({ err: errorName(error) }, 'could not pause the queue worker');
    });
    this.shutdown.abort('shutdown');
    await Promise.allSettled([...this.running, paused]);
  }
}
