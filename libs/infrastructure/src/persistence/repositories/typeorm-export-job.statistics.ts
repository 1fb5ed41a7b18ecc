import { ExportJobStatistics, type ExportThroughput, type FinishedExportsPage } from '@app/application';
import { EXPORT_JOB_STATUSES, type ExportJobStatusValue, isIsoDateTime, isUuid } from '@app/domain';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from './keyset-cursor';

interface FinishedRow {
  readonly id: string;
  readonly completed_at: Date;
  readonly completed_at_text: string;
  readonly format: string;
  readonly duration_seconds: number;
  readonly rows_exported: string;
}

/** Completed and later expired jobs keep their completion time, so both count as finished exports. */
export class TypeormExportJobStatistics extends ExportJobStatistics {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async countByStatus(): Promise<Readonly<Record<ExportJobStatusValue, number>>> {
    const rows = await this.dataSource.query<{ status: ExportJobStatusValue; count: number }[]>(
      'SELECT status, count(*)::int AS count FROM export_jobs GROUP BY status',
    );
    const counts = Object.fromEntries(EXPORT_JOB_STATUSES.map((s) => [s, 0])) as Record<
      ExportJobStatusValue,
      number
    >;
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  async completedAfter(since: Date, watermark: string | null, limit: number): Promise<FinishedExportsPage> {
    const [at, id] =
      watermark === null
        ? [since.toISOString(), '00000000-0000-0000-0000-000000000000']
        : decodeCursor('finished-exports', watermark, [isIsoDateTime, isUuid]);
    const rows = await this.dataSource.query<FinishedRow[]>(
      `SELECT id, completed_at, to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS completed_at_text,
              format, EXTRACT(EPOCH FROM completed_at - COALESCE(started_at, requested_at))::float8 AS duration_seconds,
              rows_exported
         FROM export_jobs
        WHERE completed_at IS NOT NULL AND status IN ('completed', 'expired')
          AND (completed_at, id) > ($1::timestamptz, $2::uuid)
        ORDER BY completed_at, id
        LIMIT $3`,
      [at, id, limit],
    );
    const last = rows.at(-1);
    return {
      items: rows.map((r) => ({
        id: r.id,
        completedAt: r.completed_at,
        format: r.format,
        durationSeconds: Math.max(0, r.duration_seconds),
        rowCount: Number(r.rows_exported),
      })),
      watermark: last ? encodeCursor('finished-exports', [last.completed_at_text, last.id]) : watermark,
    };
  }

  async recentThroughput(limit: number, format?: string): Promise<ExportThroughput> {
    const rows = await this.dataSource.query<{ jobs: number; rows: number; seconds: number }[]>(
      `SELECT count(*)::int AS jobs, COALESCE(sum(rows_exported), 0)::float8 AS rows,
              COALESCE(sum(GREATEST(seconds, 0)), 0)::float8 AS seconds
         FROM (SELECT rows_exported, EXTRACT(EPOCH FROM completed_at - COALESCE(started_at, requested_at)) AS seconds
                 FROM export_jobs
                WHERE completed_at IS NOT NULL AND status IN ('completed', 'expired')
                  AND ($2::text IS NULL OR format = $2)
                ORDER BY completed_at DESC
                LIMIT $1) recent`,
      [limit, format ?? null],
    );
    return { jobs: rows[0].jobs, rows: rows[0].rows, seconds: rows[0].seconds };
  }
}
