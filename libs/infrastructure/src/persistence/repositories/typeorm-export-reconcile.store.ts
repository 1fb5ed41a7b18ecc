import { ExportReconcileStore, type RunningJobCandidate, type StaleQueuedJob } from '@app/application';
import type { DataSource } from 'typeorm';

/** The queue reconciler's read, across all tenants (see ExportReconcileStore). */
export class TypeormExportReconcileStore extends ExportReconcileStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /**
   * Served by the partial index on active statuses: the `queued` jobs are few, the sort is cheap. The key is cut to
   * milliseconds, the precision of the Date a page ends with, so the next page cannot hand out its last item again.
   */
  async staleQueuedJobs(
    untouchedSince: Date,
    after: StaleQueuedJob | null,
    limit: number,
  ): Promise<StaleQueuedJob[]> {
    const rows = await this.dataSource.query<{ tenant_id: string; id: string; requested_at: Date }[]>(
      `SELECT tenant_id, id, date_trunc('milliseconds', requested_at) AS requested_at FROM export_jobs
        WHERE status = 'queued' AND updated_at < $1
          AND ($2::timestamptz IS NULL
               OR (date_trunc('milliseconds', requested_at), id) > ($2::timestamptz, $3::uuid))
        ORDER BY 3, id
        LIMIT $4`,
      [untouchedSince, after?.requestedAt ?? null, after?.jobId ?? null, limit],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, jobId: r.id, requestedAt: r.requested_at }));
  }

  /** Served by the same partial index: the `running` jobs are at most the workers' slots, plus the lost ones. */
  async runningJobs(
    untouchedSince: Date,
    stalledSince: Date,
    after: RunningJobCandidate | null,
    limit: number,
  ): Promise<RunningJobCandidate[]> {
    const rows = await this.dataSource.query<
      { tenant_id: string; id: string; requested_at: Date; rows_exported: string; stalled: boolean }[]
    >(
      `SELECT tenant_id, id, date_trunc('milliseconds', requested_at) AS requested_at, rows_exported,
              COALESCE(progress_changed_at < $2, false) AS stalled
         FROM export_jobs
        WHERE status = 'running' AND (updated_at < $1 OR progress_changed_at < $2)
          AND ($3::timestamptz IS NULL
               OR (date_trunc('milliseconds', requested_at), id) > ($3::timestamptz, $4::uuid))
        ORDER BY 3, id
        LIMIT $5`,
      [untouchedSince, stalledSince, after?.requestedAt ?? null, after?.jobId ?? null, limit],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      jobId: r.id,
      requestedAt: r.requested_at,
      rowsExported: Number(r.rows_exported),
      stalled: r.stalled,
    }));
  }
}
