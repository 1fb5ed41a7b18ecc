import { DomainError, type ExportJobStatusValue } from '@app/domain';

export class ExportNotCompletedError extends DomainError {
  constructor(status: ExportJobStatusValue) {
    super('EXPORT_JOB.NOT_COMPLETED', `The export is ${status}; only a completed export can be downloaded.`, {
      status,
    });
  }
}

export class ExportExpiredError extends DomainError {
  constructor() {
    super('EXPORT_JOB.EXPIRED', 'The export has expired and its file was deleted; run the export again.');
  }
}

export class ExportFileMissingError extends DomainError {
  constructor() {
    super('EXPORT_JOB.FILE_MISSING', 'The file of this export is no longer available; run the export again.');
  }
}
