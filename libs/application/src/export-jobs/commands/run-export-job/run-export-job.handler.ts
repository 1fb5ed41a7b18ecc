import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ConcurrentUpdateError } from '@app/domain';
import { Clock } from '../../../ports/clock';
import { ExportEngineSettings } from '../../../ports/export-engine-settings';
import { ExportFailureClassifier } from '../../../ports/export-failure-classifier';
import { ExportFileSource } from '../../../ports/export-file-source';
import { ExportJobRepository, type SaveOptions } from '../../../ports/export-job.repository';
import { FileStorage } from '../../../ports/file-storage';
import { UploadJournal } from '../../../ports/upload-journal';
import { AttemptSettlement } from './attempt-settlement';
import { ExportAttempt } from './export-attempt';
import { ProgressReporter } from './progress-reporter';
import { LostAttemptError, RunExportJobCommand, type RunExportJobOutcome } from './run-export-job.command';
import { UploadLifecycle } from './upload-lifecycle';

/**
 * Runs an attempt of an export job delivered by the queue. Idempotent: a job that is no longer runnable (a second
 * delivery of a finished job, a cancelled one) is left as it is. Each part of the attempt gets only the ports it
 * uses.
 */
@CommandHandler(RunExportJobCommand)
export class RunExportJobHandler implements ICommandHandler<RunExportJobCommand> {
  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly files: ExportFileSource,
    private readonly storage: FileStorage,
    private readonly journal: UploadJournal,
    private readonly classifier: ExportFailureClassifier,
    private readonly settings: ExportEngineSettings,
    private readonly clock: Clock,
  ) {}

  async execute(command: RunExportJobCommand): Promise<RunExportJobOutcome> {
    const job = await this.jobs.findById(command.tenantId, command.jobId);
    if (!job || !job.status.isActive) return 'skipped';
    const { progressIntervalMs, maxAttempts, retentionHours, attemptTimeoutMs, maxRowsByFormat } =
      this.settings;
    const settlement = new AttemptSettlement(this.classifier, maxAttempts);
    if (job.status.value === 'running' && job.toSnapshot().attempts >= maxAttempts) {
      try {
        const writer = { job, save: (options?: SaveOptions) => this.jobs.save(job, options) };
        return await settlement.settle(writer, new LostAttemptError(), null);
      } catch (error) {
        if (error instanceof ConcurrentUpdateError) return 'skipped';
        throw error;
      }
    }
    job.start(this.clock.now());
    try {
      await this.jobs.save(job);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) return 'skipped';
      throw error;
    }
    return new ExportAttempt({
      files: this.files,
      jobs: this.jobs,
      progress: new ProgressReporter(this.jobs, job, progressIntervalMs, command.shutdown),
      upload: new UploadLifecycle(this.storage, this.journal, job.toSnapshot()),
      settlement,
      clock: this.clock,
      retentionHours,
      attemptTimeoutMs,
      maxRowsByFormat,
    }).run();
  }
}
