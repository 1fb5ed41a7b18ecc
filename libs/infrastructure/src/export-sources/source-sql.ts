import type { ExportColumn, ExportFormat, ExportJobQuery } from '@app/domain';
import type { CompiledQuery, SettingsQuery } from '../tickets/ticket-query-builder';

/** What a source's SQL needs to know about the export it reads: the stored query and its snapshot's context. */
export interface SourceSqlRequest {
  readonly tenantId: string;
  /** The requester: what `@me` means (tickets). */
  readonly requesterId: string;
  /** Rows that came to exist after it are not exported (CONTRACT §6). */
  readonly requestedAt: Date;
  readonly query: ExportJobQuery;
}

/**
 * The SQL of one export source, run by PgExportFileSource inside the export's snapshot (same COPY, batches,
 * encoders, storage): the rows counted, the ordered rows as COPY text, and the file's columns.
 */
export interface ExportSourceSql {
  /** The file's columns in order (header labels, cell types). */
  columns(query: ExportJobQuery): ExportColumn[];
  count(request: SourceSqlRequest): CompiledQuery;
  /** Every row in order, each cell formatted for `format` (export-projection.ts), for COPY. */
  copy(request: SourceSqlRequest, format: ExportFormat): SettingsQuery;
}
