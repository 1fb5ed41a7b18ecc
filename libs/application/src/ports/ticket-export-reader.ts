import type { Readable } from 'node:stream';
import type { ExportFormat, ExportJobQuery } from '@app/domain';

/**
 * A run of consecutive rows, in a form only the reader and the encoder of the same adapter understand (the use case
 * moves batches from one to the other, so the rows' bytes are never reshaped in between).
 */
export interface RowBatch {
  readonly rowCount: number;
}

/** Rows of an export, in order, as RowBatch objects (object mode), each row the ticket's ready-formatted cells. */
export interface ExportRowStream extends Readable {
  /** How many rows have been read so far. */
  readonly rowsRead: number;
}

/** One consistent snapshot of the tickets an export contains (CONTRACT §6), open for the length of an attempt. */
export interface TicketExportSnapshot {
  /** When the snapshot was taken. */
  readonly snapshotAt: Date;
  count(): Promise<number>;
  /** Call once. */
  rows(): ExportRowStream;
  /** Ends the snapshot; safe to call after a failure and more than once. */
  close(): Promise<void>;
}

export interface OpenTicketSnapshot {
  readonly tenantId: string;
  /** The requester: what `@me` means. */
  readonly requesterId: string;
  /** Tickets created after it, or deleted at or before it, are not exported. */
  readonly requestedAt: Date;
  readonly query: ExportJobQuery;
  /** Cells are formatted for it: CSV gets text with the formula guard, JSON/NDJSON one JSON object per row. */
  readonly format: ExportFormat;
}

export abstract class TicketExportReader {
  abstract open(input: OpenTicketSnapshot): Promise<TicketExportSnapshot>;
}
