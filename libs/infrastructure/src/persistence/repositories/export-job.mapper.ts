import {
  ExportJob,
  type ExportFormat,
  type ExportJobStage,
  type ExportJobStatusValue,
  type ExportSource,
  type NotifyChannel,
} from '@app/domain';
import type { ExportJobOrmEntity } from '../entities/export-job.orm-entity';

/** The one aggregate <-> row mapper. */
export const ExportJobMapper = {
  toDomain(row: ExportJobOrmEntity): ExportJob {
    return ExportJob.restore({
      id: row.id,
      tenantId: row.tenantId,
      requestedById: row.requestedById,
      requestedByEmail: row.requestedBy.email,
      source: row.source as ExportSource,
      format: row.format as ExportFormat,
      query: row.query,
      status: row.status as ExportJobStatusValue,
      stage: row.stage as ExportJobStage | null,
      progress: {
        percent: row.percent,
        rowsExported: Number(row.rowsExported),
        totalRows: row.totalRows === null ? null : Number(row.totalRows),
      },
      requestedAt: row.requestedAt,
      snapshotAt: row.snapshotAt,
      startedAt: row.startedAt,
      completedAt: row.completedAt,
      expiresAt: row.expiresAt,
      attempts: row.attempts,
      retryOf: row.retryOf,
      file: row.file
        ? {
            storedFileId: row.file.id,
            name: row.file.name,
            contentType: row.file.contentType,
            sizeBytes: Number(row.file.sizeBytes),
            sha256: row.file.sha256,
            rowCount: Number(row.rowsExported),
          }
        : null,
      error: row.errorCode === null ? null : { code: row.errorCode, message: row.errorMessage ?? '' },
      idempotencyKey: row.idempotencyKey,
      requestHash: row.requestHash,
      notify: row.notify.filter((channel): channel is NotifyChannel => channel === 'email'),
    });
  },

  /** Every column the aggregate owns; `version`, `updated_at`, `progress_changed_at`, `retried_by_id` are the repository's. */
  toColumns(
    job: ExportJob,
  ): Omit<
    ExportJobOrmEntity,
    'requestedBy' | 'file' | 'version' | 'updatedAt' | 'progressChangedAt' | 'retriedById'
  > {
    const s = job.toSnapshot();
    return {
      id: s.id,
      tenantId: s.tenantId,
      requestedById: s.requestedById,
      source: s.source,
      format: s.format,
      query: s.query,
      viewId: s.query.viewId,
      status: s.status,
      stage: s.stage,
      percent: s.progress.percent,
      rowsExported: String(s.progress.rowsExported),
      totalRows: s.progress.totalRows === null ? null : String(s.progress.totalRows),
      requestedAt: s.requestedAt,
      snapshotAt: s.snapshotAt,
      startedAt: s.startedAt,
      completedAt: s.completedAt,
      expiresAt: s.expiresAt,
      attempts: s.attempts,
      retryOf: s.retryOf,
      fileId: s.file?.storedFileId ?? null,
      errorCode: s.error?.code ?? null,
      errorMessage: s.error?.message ?? null,
      idempotencyKey: s.idempotencyKey,
      requestHash: s.requestHash,
      notify: [...s.notify],
    };
  },
};
