import type { Transform } from 'node:stream';
import type { ExportFormat, TicketColumn } from '@app/domain';

/**
 * Turns the reader's rows into the bytes of a file: the reader's RowBatch objects in (object mode), bytes out, with
 * whatever the format adds around them (BOM and header for CSV, brackets for JSON).
 */
export abstract class ExportFileEncoder {
  abstract create(format: ExportFormat, columns: readonly TicketColumn[]): Transform;
}
