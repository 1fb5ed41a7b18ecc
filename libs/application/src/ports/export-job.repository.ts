import type { ExportJob } from '@app/domain';
import type { AuditEntry } from './audit-log';

/** A file the engine put into storage, recorded with the job that produced it. */
export interface StoredFileRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly provider: 'local' | 's3';
  readonly bucket: string | null;
  readonly objectKey: string;
}

export interface SaveOptions {
  /** Written in the same transaction as the job: an audited change and its audit row land together or not at all. */
  readonly audit?: readonly AuditEntry[];
  /** The job's new file, inserted in the same transaction (completion). */
  readonly newFile?: StoredFileRecord;
}

/**
 * Persistence of the ExportJob aggregate. The tenant is part of every lookup, so a job of another tenant is
 * simply not found. `save` is optimistic: it fails with EXPORT_JOB.CONCURRENT_UPDATE when the stored job changed
 * since it was loaded (a cancel racing the worker), and the caller reloads and decides again.
 */
export abstract class ExportJobRepository {
  abstract findById(tenantId: string, id: string): Promise<ExportJob | null>;
  abstract save(job: ExportJob, options?: SaveOptions): Promise<void>;
}
