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
 * Which unfinished uploads belong to attempts that are over. An upload qualifies when any of these holds:
 * its job is no longer `running` and has not changed since `jobSettledBefore` (the grace lets a completing attempt
 * close its journal entry itself); it belongs to an earlier attempt than the job's current one and began before
 * `supersededBefore`; or it began before `startedBefore`, whatever its job.
 */
export interface AbandonedUploadCriteria {
  /** Only uploads of this provider: an upload id means nothing to another one. */
  readonly provider: StorageProvider;
  readonly jobSettledBefore: Date;
  readonly supersededBefore: Date;
  readonly startedBefore: Date;
}

/**
 * Durable record of uploads begun in storage, so an upload whose process died (SIGKILL mid-export) is aborted by
 * the job's next attempt or by the cleanup instead of lingering.
 */
export abstract class UploadJournal {
  abstract started(upload: JournaledUpload): Promise<void>;
  abstract finished(uploadId: string, outcome: 'completed' | 'aborted'): Promise<void>;
  abstract unfinished(tenantId: string, jobId: string): Promise<JournaledUpload[]>;
  /** Unfinished uploads of attempts that are over, across all tenants, by upload id (keyset: after `after`). */
  abstract abandoned(
    criteria: AbandonedUploadCriteria,
    after: JournaledUpload | null,
    limit: number,
  ): Promise<JournaledUpload[]>;
}
