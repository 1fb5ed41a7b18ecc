import {
  type ExportFormat,
  type ExportJobFailure,
  type ExportJobProgress,
  type ExportJobStage,
  type ExportJobStatusValue,
  type ExportSource,
  exportColumnLabel,
} from '@app/domain';

/**
 * A job as the API shows it (CONTRACT §5), whoever reads it: the read model builds it straight from SQL, and a
 * command builds it from the aggregate it just saved. Owner fields (`tenantId`, `requestedBy.id`) let the policy
 * decide what the reader may do.
 */
export interface ExportJobView {
  readonly id: string;
  readonly tenantId: string;
  readonly source: ExportSource;
  readonly format: ExportFormat;
  readonly status: ExportJobStatusValue;
  readonly stage: ExportJobStage | null;
  readonly progress: ExportJobProgress;
  readonly view: { readonly id: string; readonly name: string } | null;
  readonly columns: readonly { readonly key: string; readonly label: string }[];
  readonly requestedBy: { readonly id: string; readonly email: string };
  readonly requestedAt: Date;
  readonly snapshotAt: Date | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly attempts: number;
  readonly retryOf: string | null;
  readonly file: {
    readonly name: string;
    readonly contentType: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly rowCount: number;
  } | null;
  readonly error: ExportJobFailure | null;
}

/** The columns of a job with the labels its file's header uses: the job's source's labels. */
export function exportColumnRefs(source: ExportSource, keys: readonly string[]): ExportJobView['columns'] {
  return keys.map((key) => ({ key, label: exportColumnLabel(source, key) }));
}

/**
 * What opening a job's file needs: who owns the job, its source (whose rule decides who may download), whether it
 * is done, and where its file lies.
 */
export interface ExportDownloadView {
  readonly tenantId: string;
  readonly source: ExportSource;
  readonly requestedById: string;
  readonly status: ExportJobStatusValue;
  readonly expiresAt: Date | null;
  /** The job's file; `objectKey` is null once the file was deleted from storage. */
  readonly file: {
    readonly name: string;
    readonly contentType: string;
    readonly sha256: string;
    readonly objectKey: string | null;
  } | null;
}

export interface ExportJobListFilter {
  /** Only this user's jobs; null for every job of the tenant. */
  readonly requestedById: string | null;
  /** Only jobs in one of these statuses; empty for all. */
  readonly statuses: readonly ExportJobStatusValue[];
  readonly limit: number;
  readonly cursor: string | null;
}

export interface ExportJobListPage {
  readonly items: readonly ExportJobView[];
  readonly nextCursor: string | null;
}

/**
 * The read side of export jobs: one query per call, no aggregate. The tenant is part of every lookup, so a job of
 * another tenant is simply not found.
 */
export abstract class ExportJobReadModel {
  abstract findById(tenantId: string, id: string): Promise<ExportJobView | null>;
  /** Newest first (requested at, then id); throws ValidationError (field `cursor`) on a cursor it did not make. */
  abstract list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage>;
  abstract findDownload(tenantId: string, jobId: string): Promise<ExportDownloadView | null>;
}
