import type { StorageProvider } from './file-storage';

/** An upload some attempt began in storage and that must end completed or aborted. */
export interface JournaledUpload {
  readonly tenantId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly provider: StorageProvider;
  readonly objectKey: string;
  readonly uploadId: string;
}

/**
 * Durable record of uploads begun in storage, so an upload whose process died (SIGKILL mid-export) is aborted by
 * the job's next attempt or by the cleanup instead of lingering.
 */
export abstract class UploadJournal {
  abstract started(upload: JournaledUpload): Promise<void>;
  abstract finished(uploadId: string, outcome: 'completed' | 'aborted'): Promise<void>;
  abstract unfinished(tenantId: string, jobId: string): Promise<JournaledUpload[]>;
}
