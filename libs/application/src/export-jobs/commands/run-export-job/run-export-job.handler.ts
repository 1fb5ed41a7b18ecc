import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@app/domain';
import { Clock } from '../../../ports/clock';
import { ExportEngineSettings } from '../../../ports/export-engine-settings';
import { ExportFailureClassifier } from '../../../ports/export-failure-classifier';
import { ExportFileEncoder } from '../../../ports/export-file-encoder';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { FileStorage } from '../../../ports/file-storage';
import { TicketExportReader } from '../../../ports/ticket-export-reader';
import { UploadJournal } from '../../../ports/upload-journal';
import { ExportAttempt } from './export-attempt';
import { RunExportJobCommand, type RunExportJobOutcome } from './run-export-job.command';

/**
 * Runs an attempt of an export job delivered by the queue. Idempotent: a job that is no longer runnable (a second
 * delivery of a finished job, a cancelled one) is left as it is.
 */
@CommandHandler(RunExportJobCommand)
export class RunExportJobHandler implements ICommandHandler<RunExportJobCommand> {
  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly reader: TicketExportReader,
    private readonly encoder: ExportFileEncoder,
    private readonly storage: FileStorage,
    private readonly journal: UploadJournal,
    private readonly classifier: ExportFailureClassifier,
    private readonly settings: ExportEngineSettings,
    private readonly clock: Clock,
  ) {}

  async execute(command: RunExportJobCommand): Promise<RunExportJobOutcome> {
    const job = await this.jobs.findById(command.tenantId, command.jobId);
    if (!job || !job.status.isActive) return 'skipped';
    job.start(this.clock.now());
    try {
      await this.jobs.save(job);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'EXPORT_JOB.CONCURRENT_UPDATE') return 'skipped';
      throw error;
    }
    const { jobs, reader, encoder, storage, journal, classifier, settings, clock } = this;
    return new ExportAttempt(
      { jobs, reader, encoder, storage, journal, classifier, settings, clock },
      job,
      command.shutdown,
    ).run();
  }
}
