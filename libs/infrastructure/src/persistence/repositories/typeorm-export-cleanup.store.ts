import { type ExpiredExport, ExportCleanupStore, type IdleRunningJob } from '@app/application';
import type { DataSource } from 'typeorm';

/** The advisory lock every cleanup run takes (hashed to a bigint key, like the requester locks of `add`). */
const CLEANUP_LOCK = 'export-retention-cleanup';

/** Set-based reads and marks of the retention cleanup, across all tenants (see ExportCleanupStore). */
export class TypeormExportCleanupStore extends ExportCleanupStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /**
   * A transaction-scoped advisory lock, taken with try (never waits) in a transaction that stays open, doing
   * nothing else, for the length of the run. It goes with the transaction: at commit, on rollback when `work`
   * throws, and when the connection closes because its process died. The run's own reads and writes use other
   * connections, so nothing they do waits for it.
   */
  async runExclusive<T>(work: () => Promise<T>): Promise<T | null> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
        [CLEANUP_LOCK],
      );
      return locked ? work() : null;
    });
  }

  async expiredExports(now: Date, after: ExpiredExport | null, limit: number): Promise<ExpiredExport[]> {
    const rows = await this.dataSource.query<
      {
        tenant_id: string;
        id: string;
        expires_at: Date;
        file_id: string | null;
        object_key: string | null;
      }[]
    >(
      `SELECT j.tenant_id, j.id, j.expires_at, f.id AS file_id, f.object_key
         FROM export_jobs j
         LEFT JOIN stored_files f ON f.tenant_id = j.tenant_id AND f.id = j.file_id AND f.deleted_at IS NULL
        WHERE j.status = 'completed' AND j.expires_at <= $1
          AND ($2::uuid IS NULL OR j.id > $2::uuid)
        ORDER BY j.id
        LIMIT $3`,
      [now, after?.jobId ?? null, limit],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      jobId: r.id,
      expiresAt: r.expires_at,
      file: r.file_id !== null && r.object_key !== null ? { id: r.file_id, objectKey: r.object_key } : null,
    }));
  }

  async markFileDeleted(tenantId: string, fileId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      'UPDATE stored_files SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL',
      [tenantId, fileId, at],
    );
  }

  async idleRunningJobs(
    idleSince: Date,
    after: IdleRunningJob | null,
    limit: number,
  ): Promise<IdleRunningJob[]> {
    const rows = await this.dataSource.query<{ tenant_id: string; id: string }[]>(
      `SELECT tenant_id, id FROM export_jobs
        WHERE status = 'running' AND updated_at < $1
          AND ($2::uuid IS NULL OR id > $2::uuid)
        ORDER BY id
        LIMIT $3`,
      [idleSince, after?.jobId ?? null, limit],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, jobId: r.id }));
  }
}
