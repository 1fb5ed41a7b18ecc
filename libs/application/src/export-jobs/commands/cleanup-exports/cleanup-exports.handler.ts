import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../ports/clock';
import { ExportCleanupStore } from '../../../ports/export-cleanup.store';
import { ExportEngineSettings } from '../../../ports/export-engine-settings';
import { ExportJobRepository } from '../../../ports/export-job.repository';
import { ExportQueue } from '../../../ports/export-queue';
import { FileStorage } from '../../../ports/file-storage';
import { UploadJournal } from '../../../ports/upload-journal';
import { StuckJobRecovery } from '../reconcile-export-queue/stuck-job-recovery';
import { CleanupExportsCommand, type CleanupSummary } from './cleanup-exports.command';
import { RetentionSweep } from './retention-sweep';

const SKIPPED: CleanupSummary = {
  skipped: true,
  expiredJobs: 0,
  filesDeleted: 0,
  uploadsAborted: 0,
  lostJobsFailed: 0,
  errors: 0,
};

/** One cleanup run under the cleanup lock; a run that finds the lock taken returns at once, skipped. */
@CommandHandler(CleanupExportsCommand)
export class CleanupExportsHandler implements ICommandHandler<CleanupExportsCommand> {
  constructor(
    private readonly store: ExportCleanupStore,
    private readonly jobs: ExportJobRepository,
    private readonly storage: FileStorage,
    private readonly journal: UploadJournal,
    private readonly queue: ExportQueue,
    private readonly clock: Clock,
    private readonly settings: ExportEngineSettings,
  ) {}

  async execute(_command: CleanupExportsCommand): Promise<CleanupSummary> {
    const { store, jobs, storage, journal, queue } = this;
    const recovery = new StuckJobRecovery(jobs, queue, this.settings.maxAttempts);
    const summary = await store.runExclusive(() =>
      new RetentionSweep({ store, jobs, storage, journal, queue, recovery }, this.clock.now()).run(),
    );
    return summary ?? SKIPPED;
  }
}
