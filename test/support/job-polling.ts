/** Reading an export job's row and waiting, by polling, until it or anything else gets somewhere. */
import type { ExportJobStage, ExportJobStatusValue } from '@app/domain';
import type { Pool } from 'pg';

/** One row of `export_jobs`, as the tests poll it. */
export interface JobRow {
  readonly id: string;
  readonly status: ExportJobStatusValue;
  readonly stage: ExportJobStage | null;
  readonly attempts: number;
  readonly percent: number;
  readonly rowsExported: number;
  readonly totalRows: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly fileId: string | null;
  readonly version: number;
  readonly updatedAt: Date;
  readonly requestedAt: Date;
  readonly snapshotAt: Date | null;
  readonly completedAt: Date | null;
}

export async function readJob(pool: Pool, tenantId: string, jobId: string): Promise<JobRow> {
  const { rows } = await pool.query<JobRow>(
    `SELECT id, status, stage, attempts, percent, rows_exported::float8 AS "rowsExported",
            total_rows::float8 AS "totalRows", error_code AS "errorCode", error_message AS "errorMessage",
            file_id AS "fileId", version, updated_at AS "updatedAt", requested_at AS "requestedAt",
            snapshot_at AS "snapshotAt", completed_at AS "completedAt"
       FROM export_jobs WHERE tenant_id = $1 AND id = $2`,
    [tenantId, jobId],
  );
  if (rows.length !== 1) throw new Error(`no export job ${jobId} in tenant ${tenantId}`);
  return rows[0];
}

/** Polls export_jobs every 25 ms until `predicate` holds; fails with the last row seen after `timeoutMs`. */
export async function waitForJob(
  pool: Pool,
  tenantId: string,
  jobId: string,
  predicate: (job: JobRow) => boolean,
  timeoutMs: number,
): Promise<JobRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(pool, tenantId, jobId);
    if (predicate(job)) return job;
    if (Date.now() > deadline)
      throw new Error(
        `export job ${jobId} did not get there within ${timeoutMs} ms; last seen: ${JSON.stringify(job)}`,
      );
    await delay(25);
  }
}

export const isFinished = (job: JobRow): boolean => job.status !== 'queued' && job.status !== 'running';

/** Polls `probe` every 10 ms until it returns true (for conditions outside the database: proxy, queue, files). */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(10);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
