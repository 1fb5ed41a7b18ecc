import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { canSeeExportJob, exportSourceDefinition, isExportExpiredAt } from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import type { CallContext } from '../../../auth/call-context';
import { AuditLog } from '../../../ports/audit-log';
import { Clock } from '../../../ports/clock';
import { ExportJobReadModel } from '../../../ports/export-job.read-model';
import { FileStorage, StoredObjectNotFoundError } from '../../../ports/file-storage';
import { type ExportDownload, OpenExportDownloadCommand } from './open-export-download.command';
import {
  ExportExpiredError,
  ExportFileMissingError,
  ExportNotCompletedError,
} from './open-export-download.errors';

type Refusal = 'not_found' | 'forbidden' | 'expired' | 'not_completed' | 'file_missing';

/**
 * Download: the rule of the job's source (for every source today an admin with ImportExportTickets of the job's
 * tenant), decided now, not when the job was made. A job the caller may not even see is not found; one it sees but
 * may not download is forbidden.
 */
@CommandHandler(OpenExportDownloadCommand)
export class OpenExportDownloadHandler implements ICommandHandler<OpenExportDownloadCommand> {
  constructor(
    private readonly readModel: ExportJobReadModel,
    private readonly storage: FileStorage,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async execute({ context, jobId, method }: OpenExportDownloadCommand): Promise<ExportDownload> {
    const { actor } = context;
    const job = await this.readModel.findDownload(actor.tenantId, jobId);
    if (!job || !canSeeExportJob(actor, job))
      return this.refuse(context, jobId, 'not_found', new ResourceNotFoundError('EXPORT_JOB', jobId));
    if (!exportSourceDefinition(job.source).canDownload(actor, job))
      return this.refuse(
        context,
        jobId,
        'forbidden',
        new AccessDeniedError(
          'Downloading exports needs an admin with the Import / Export Tickets permission.',
        ),
      );
    if (isExportExpiredAt(job, this.clock.now()))
      return this.refuse(context, jobId, 'expired', new ExportExpiredError());
    const { file } = job;
    if (job.status !== 'completed' || file === null)
      return this.refuse(context, jobId, 'not_completed', new ExportNotCompletedError(job.status));
    if (file.objectKey === null)
      return this.refuse(context, jobId, 'file_missing', new ExportFileMissingError());
    let opened: Awaited<ReturnType<FileStorage['openRead']>>;
    try {
      opened = await this.storage.openRead(file.objectKey);
    } catch (error) {
      if (error instanceof StoredObjectNotFoundError)
        return this.refuse(context, jobId, 'file_missing', new ExportFileMissingError());
      throw error;
    }
    const download = {
      stream: opened.stream,
      fileName: file.name,
      contentType: file.contentType,
      sizeBytes: opened.sizeBytes,
      sha256: file.sha256,
    };
    if (method === 'HEAD') {
      opened.stream.destroy();
      return download;
    }
    try {
      await this.audit.record({
        ...this.entry(context, jobId),
        action: 'export.downloaded',
        details: { fileName: file.name, sizeBytes: opened.sizeBytes },
      });
    } catch (error) {
      opened.stream.destroy();
      throw error;
    }
    return download;
  }

  private async refuse(context: CallContext, jobId: string, reason: Refusal, error: Error): Promise<never> {
    await this.audit.record({
      ...this.entry(context, jobId),
      action: 'export.download_denied',
      details: { reason },
    });
    throw error;
  }

  private entry(context: CallContext, jobId: string) {
    return {
      tenantId: context.actor.tenantId,
      actorId: context.actor.userId,
      jobId,
      ip: context.ip,
      userAgent: context.userAgent,
    };
  }
}
