import {
  type ExportDownloadView,
  exportColumnRefs,
  type ExportJobListFilter,
  type ExportJobListPage,
  ExportJobReadModel,
  type ExportJobView,
} from '@app/application';
import {
  type ExportFormat,
  type ExportJobStage,
  type ExportJobStatusValue,
  type ExportSource,
  isIsoDateTime,
  isUuid,
} from '@app/domain';
import type { DataSource } from 'typeorm';
import { pgPoolOf } from '../pg-connection';
import { decodeCursor, encodeCursor } from './keyset-cursor';

/** One row of VIEW_SELECT; bigint columns arrive as text. */
interface ViewRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly requested_by_id: string;
  readonly requested_by_email: string;
  readonly source: string;
  readonly format: string;
  readonly status: string;
  readonly stage: string | null;
  readonly percent: number;
  readonly rows_exported: string;
  readonly total_rows: string | null;
  readonly view_id: string | null;
  readonly view_name: string | null;
  readonly columns: string[];
  readonly requested_at: Date;
  readonly snapshot_at: Date | null;
  readonly started_at: Date | null;
  readonly completed_at: Date | null;
  readonly expires_at: Date | null;
  readonly attempts: number;
  readonly retry_of: string | null;
  readonly file_name: string | null;
  readonly file_content_type: string | null;
  readonly file_size_bytes: string | null;
  readonly file_sha256: string | null;
  readonly error_code: string | null;
  readonly error_message: string | null;
}

/** Exactly what ExportJobView holds: the requester's email and the file joined in, nothing of the aggregate's own. */
const VIEW_SELECT = `
  SELECT j.id, j.tenant_id, j.requested_by_id, u.email AS requested_by_email, j.source, j.format, j.status,
         j.stage, j.percent, j.rows_exported, j.total_rows, j.view_id, j.query->>'viewName' AS view_name,
         j.query->'columns' AS columns, j.requested_at, j.snapshot_at, j.started_at, j.completed_at,
         j.expires_at, j.attempts, j.retry_of, f.name AS file_name, f.content_type AS file_content_type,
         f.size_bytes AS file_size_bytes, f.sha256 AS file_sha256, j.error_code, j.error_message
    FROM export_jobs j
    JOIN users u ON u.id = j.requested_by_id
    LEFT JOIN stored_files f ON f.id = j.file_id`;

/** Read on every poll of a job: prepared once per connection, and no TypeORM query runner per call. */
const FIND_BY_ID = {
  name: 'export-job-by-id-v1',
  text: `${VIEW_SELECT} WHERE j.tenant_id = $1 AND j.id = $2`,
} as const;

function toView(row: ViewRow): ExportJobView {
  const rowsExported = Number(row.rows_exported);
  const source = row.source as ExportSource;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    source,
    format: row.format as ExportFormat,
    status: row.status as ExportJobStatusValue,
    stage: row.stage as ExportJobStage | null,
    progress: {
      percent: row.percent,
      rowsExported,
      totalRows: row.total_rows === null ? null : Number(row.total_rows),
    },
    view: row.view_id === null ? null : { id: row.view_id, name: row.view_name ?? '' },
    columns: exportColumnRefs(source, row.columns),
    requestedBy: { id: row.requested_by_id, email: row.requested_by_email },
    requestedAt: row.requested_at,
    snapshotAt: row.snapshot_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
    attempts: row.attempts,
    retryOf: row.retry_of,
    file:
      row.file_name === null
        ? null
        : {
            name: row.file_name,
            contentType: row.file_content_type ?? '',
            sizeBytes: Number(row.file_size_bytes),
            sha256: row.file_sha256 ?? '',
            rowCount: rowsExported,
          },
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
  };
}

/**
 * Jobs as the API shows them, one query per call and no aggregate in between. Listings are newest first, paged by
 * keyset over (requested_at, id) — the order of the export_jobs indexes. Request times are written from
 * JavaScript Dates, so their millisecond ISO text is exact.
 */
export class TypeormExportJobReadModel extends ExportJobReadModel {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /** The status poll's read: a named (prepared) statement on the DataSource's pool, see FIND_BY_ID. */
  async findById(tenantId: string, id: string): Promise<ExportJobView | null> {
    const { rows } = await pgPoolOf(this.dataSource).query<ViewRow>({
      ...FIND_BY_ID,
      values: [tenantId, id],
    });
    return rows.length === 0 ? null : toView(rows[0]);
  }

  async list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage> {
    const params: unknown[] = [tenantId];
    const where = ['j.tenant_id = $1'];
    const param = (value: unknown): string => `$${params.push(value)}`;
    if (filter.requestedById !== null) where.push(`j.requested_by_id = ${param(filter.requestedById)}`);
    if (filter.statuses.length > 0) where.push(`j.status = ANY(${param(filter.statuses)}::text[])`);
    if (filter.cursor !== null) {
      const [at, id] = decodeCursor('export-jobs', filter.cursor, [isIsoDateTime, isUuid]);
      where.push(`(j.requested_at, j.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
    }
    const rows = await this.dataSource.query<ViewRow[]>(
      `${VIEW_SELECT} WHERE ${where.join(' AND ')}
        ORDER BY j.requested_at DESC, j.id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(toView),
      nextCursor:
        rows.length > filter.limit && last
          ? encodeCursor('export-jobs', [last.requested_at.toISOString(), last.id])
          : null,
    };
  }

  async findDownload(tenantId: string, jobId: string): Promise<ExportDownloadView | null> {
    const rows = await this.dataSource.query<
      {
        tenant_id: string;
        source: string;
        requested_by_id: string;
        status: string;
        expires_at: Date | null;
        name: string | null;
        content_type: string | null;
        sha256: string | null;
        object_key: string | null;
        deleted_at: Date | null;
      }[]
    >(
      `SELECT j.tenant_id, j.source, j.requested_by_id, j.status, j.expires_at,
              f.name, f.content_type, f.sha256, f.object_key, f.deleted_at
         FROM export_jobs j
         LEFT JOIN stored_files f ON f.id = j.file_id AND f.tenant_id = j.tenant_id
        WHERE j.tenant_id = $1 AND j.id = $2`,
      [tenantId, jobId],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      tenantId: row.tenant_id,
      source: row.source as ExportSource,
      requestedById: row.requested_by_id,
      status: row.status as ExportJobStatusValue,
      expiresAt: row.expires_at,
      file:
        row.name === null
          ? null
          : {
              name: row.name,
              contentType: row.content_type ?? '',
              sha256: row.sha256 ?? '',
              objectKey: row.deleted_at === null ? row.object_key : null,
            },
    };
  }
}
