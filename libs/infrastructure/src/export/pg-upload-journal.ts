import {
  type AbandonedUploadCriteria,
  type JournaledUpload,
  type StorageProvider,
  UploadJournal,
} from '@app/application';
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

  async abandoned(
    criteria: AbandonedUploadCriteria,
    after: JournaledUpload | null,
    limit: number,
  ): Promise<JournaledUpload[]> {
    const { rows } = await this.pool.query<{
      upload_id: string;
      tenant_id: string;
      job_id: string;
      attempt: number;
      provider: StorageProvider;
      object_key: string;
    }>(
      `SELECT u.upload_id, u.tenant_id, u.job_id, u.attempt, u.provider, u.object_key
         FROM export_uploads u
         JOIN export_jobs j ON j.tenant_id = u.tenant_id AND j.id = u.job_id
        WHERE u.finished_at IS NULL AND u.provider = $1
          AND ((j.status <> 'running' AND j.updated_at < $2)
               OR (u.attempt < j.attempts AND u.started_at < $3)
               OR u.started_at < $4)
          AND ($5::text IS NULL OR u.upload_id > $5)
        ORDER BY u.upload_id
        LIMIT $6`,
      [
        criteria.provider,
        criteria.jobSettledBefore,
        criteria.supersededBefore,
        criteria.startedBefore,
        after?.uploadId ?? null,
        limit,
      ],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      jobId: r.job_id,
      attempt: r.attempt,
      provider: r.provider,
      objectKey: r.object_key,
      uploadId: r.upload_id,
    }));
  }
}
