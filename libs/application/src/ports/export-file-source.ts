import type { Readable } from 'node:stream';
import type { ExportFormat, ExportJobQuery, ExportSource } from '@app/domain';

export interface ExportFileRequest {
  readonly tenantId: string;
  /** The requester: what `@me` means. */
  readonly requesterId: string;
  /** The requester's email, as a PDF's title block names who asked for it. */
  readonly requesterEmail: string;
  /** Rows created after it (tickets also: deleted at or before it) are not exported. */
  readonly requestedAt: Date;
  /** Which rows: the source decides the table, columns and order; `query` narrows them. */
  readonly source: ExportSource;
  readonly query: ExportJobQuery;
  /** The file's format: the source alone decides how its rows and cells look. */
  readonly format: ExportFormat;
}

/**
 * One export file, read from ONE consistent snapshot of the tickets (CONTRACT §6) that stays open for the length
 * of an attempt. Its rows were counted when it was opened; its bytes flow when `bytes()` is read.
 */
export interface ExportFile {
  /** When the snapshot was taken. */
  readonly snapshotAt: Date;
  /** The rows the file holds, counted in the snapshot. */
  readonly totalRows: number;
  /** How many rows have gone into the bytes so far. */
  readonly rowsRead: number;
  /** The whole file (BOM and header or brackets included), in order, with back-pressure. Call once. */
  bytes(): Readable;
  /** Ends the snapshot; safe to call after a failure, with the bytes half read, and more than once. */
  close(): Promise<void>;
}

/** Opens the file of an export: what it contains and how it is written are decided here, once. */
export abstract class ExportFileSource {
  abstract open(request: ExportFileRequest): Promise<ExportFile>;
}
