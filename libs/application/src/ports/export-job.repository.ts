import type { ExportJob } from '@app/domain';
import type { AuditEntry } from './audit-log';
import type { StorageProvider } from './file-storage';

/** A file the engine put into storage, recorded with the job that produced it. */
export interface StoredFileRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly provider: StorageProvider;
  readonly bucket: string | null;
  readonly objectKey: string;
}

export interface SaveOptions {
  /** Written in the same transaction as the job: an audited change and its audit row land together or not at all. */
  readonly audit?: readonly AuditEntry[];
  /** The job's new file, inserted in the same transaction (completion). */
  readonly newFile?: StoredFileRecord;
}

export interface AddOptions {
  /** Written in the same transaction as the new job. */
  readonly audit?: readonly AuditEntry[];
  /** The requester may have at most this many queued or running jobs, this one included. */
  readonly maxActivePerRequester: number;
  /**
   * An idempotency key binds the requester's job from this instant on; a key held only by an older job is released
   * (the old job keeps everything else) and bound to the new one.
   */
  readonly idempotentSince: Date;
}

/**
 * What `add` did. Limit and key are checked under a lock on the requester, in the transaction that inserts, so two
 * concurrent requests can neither both pass the limit nor both take a key.
 */
export type AddOutcome =
  | { readonly outcome: 'added' }
  | { readonly outcome: 'too-many-active'; readonly active: number }
  | { readonly outcome: 'duplicate'; readonly existing: ExportJob };
// `duplicate` is also the answer to a retry (a job with `retryOf`) of a job that was already retried: `existing` is
// that earlier retry. The original's row is locked while the retry is inserted, so of two concurrent retries of one
// job, by any requesters, one adds and the other gets the first one's job.

/**
 * Persistence of the ExportJob aggregate. The tenant is part of every lookup, so a job of another tenant is
 * simply not found. `save` is optimistic: it fails with ConcurrentUpdateError when the stored job changed
 * since it was loaded (a cancel racing the worker), and the caller reloads and decides again.
 */
export abstract class ExportJobRepository {
  abstract findById(tenantId: string, id: string): Promise<ExportJob | null>;
  abstract save(job: ExportJob, options?: SaveOptions): Promise<void>;
  /**
   * Writes only the job's progress (not the whole row with its query), bumps its version like `save` and records
   * the instant as the time its progress last changed (what the queue reconciler's stall rule reads). Optimistic
   * like `save`: ConcurrentUpdateError when the stored job changed since it was loaded or saved.
   */
  abstract saveProgress(job: ExportJob): Promise<void>;
  /** The requester's job holding an idempotency key, requested at or after `since`. */
  abstract findByIdempotencyKey(
    tenantId: string,
    requestedById: string,
    key: string,
    since: Date,
  ): Promise<ExportJob | null>;
  /** Inserts a newly requested job (see AddOptions and AddOutcome); nothing is written unless it is `added`. */
  abstract add(job: ExportJob, options: AddOptions): Promise<AddOutcome>;
}
