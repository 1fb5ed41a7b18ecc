import {
  type Actor,
  canSeeExportJob,
  type ExportJob,
  exportSourceDefinition,
  isExportExpiredAt,
} from '@app/domain';
import { exportColumnRefs, type ExportJobView } from '../../ports/export-job.read-model';

/**
 * A job as its reader may see it: the job's state and whether this reader may download its file right now, by the
 * same rule of the job's source that the download itself applies (so `links.download` never promises a 403).
 */
export interface ExportJobDetails {
  readonly job: ExportJobView;
  readonly canDownload: boolean;
}

export function exportJobDetails(job: ExportJobView, actor: Actor, now: Date): ExportJobDetails {
  return {
    job,
    canDownload:
      job.status === 'completed' &&
      job.file !== null &&
      !isExportExpiredAt(job, now) &&
      exportSourceDefinition(job.source).canDownload(actor, ownerOf(job)),
  };
}

/**
 * The job as this actor may read it, or null when the actor may not see it (or it does not exist): the one decision
 * behind GET /export-jobs/:id and each event of its stream.
 */
export function readableExportJob(
  job: ExportJobView | null,
  actor: Actor,
  now: Date,
): ExportJobDetails | null {
  if (!job || !canSeeExportJob(actor, ownerOf(job))) return null;
  return exportJobDetails(job, actor, now);
}

/** The facts the export policy needs about a job. */
export function ownerOf(job: ExportJobView): { tenantId: string; requestedById: string } {
  return { tenantId: job.tenantId, requestedById: job.requestedBy.id };
}

/** The view of a job a command just saved, so it answers with the state it produced without reading it back. */
export function exportJobView(job: ExportJob): ExportJobView {
  const s = job.toSnapshot();
  return {
    id: s.id,
    tenantId: s.tenantId,
    source: s.source,
    format: s.format,
    status: s.status,
    stage: s.stage,
    progress: { ...s.progress },
    view: s.query.viewId === null ? null : { id: s.query.viewId, name: s.query.viewName ?? '' },
    columns: exportColumnRefs(s.source, s.query.columns),
    requestedBy: { id: s.requestedById, email: s.requestedByEmail },
    requestedAt: s.requestedAt,
    snapshotAt: s.snapshotAt,
    startedAt: s.startedAt,
    completedAt: s.completedAt,
    expiresAt: s.expiresAt,
    attempts: s.attempts,
    retryOf: s.retryOf,
    file:
      s.file === null
        ? null
        : {
            name: s.file.name,
            contentType: s.file.contentType,
            sizeBytes: s.file.sizeBytes,
            sha256: s.file.sha256,
            rowCount: s.file.rowCount,
          },
    error: s.error === null ? null : { code: s.error.code, message: s.error.message },
  };
}
