import type { ExportJobProps, ExportJobStatusValue } from '@app/domain';
import type { StoredFileRecord } from './export-job.repository';

export interface ExportJobListFilter {
  /** Only this user's jobs; null for every job of the tenant. */
  readonly requestedById: string | null;
  /** Only jobs in one of these statuses; empty for all. */
  readonly statuses: readonly ExportJobStatusValue[];
  readonly limit: number;
  readonly cursor: string | null;
}

export interface ExportJobListPage {
  readonly items: readonly ExportJobProps[];
  readonly nextCursor: string | null;
}

/** The read side of export jobs: listings and where a job's file is kept. */
export abstract class ExportJobReadModel {
  /** Newest first (requested at, then id); throws ValidationError (field `cursor`) on a cursor it did not make. */
  abstract list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage>;
  abstract findFile(tenantId: string, fileId: string): Promise<StoredFileRecord | null>;
}
