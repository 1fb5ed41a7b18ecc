import { UploadJournal, type JournaledUpload } from '@app/application';
import type { StorageProvider } from '@app/application';
import type { Pool } from 'pg';

export class PgUploadJournal extends UploadJournal {
  constructor(private readonly pool: Pool) {
    super();
  }

  async started(u: JournaledUpload): Promise<void> {
    await this.pool.query(
      `INSERT INTO export_uploads (upload_id, tenant_id, job_id, attempt, provider, object_key) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (upload_id) DO NOTHING`,
      [u.uploadId, u.tenantId, u.jobId, u.attempt, u.provider, u.objectKey],
    );
  }

  async finished(uploadId: string, outcome: 'completed' | 'aborted'): Promise<void> {
    await this.pool.query(
      'UPDATE export_uploads SET finished_at = now(), outcome = $2 WHERE upload_id = $1 AND finished_at IS NULL',
      [uploadId, outcome],
    );
  }

  async unfinished(tenantId: string, jobId: string): Promise<JournaledUpload[]> {
    const { rows } = await this.pool.query<{
      upload_id: string;
      attempt: number;
      provider: StorageProvider;
      object_key: string;
    }>(
      `SELECT upload_id, attempt, provider, object_key FROM export_uploads
        WHERE tenant_id = $1 AND job_id = $2 AND finished_at IS NULL ORDER BY started_at`,
      [tenantId, jobId],
    );
    return rows.map((r) => ({
      tenantId,
      jobId,
      attempt: r.attempt,
      provider: r.provider,
      objectKey: r.object_key,
      uploadId: r.upload_id,
    }));
  }
}
