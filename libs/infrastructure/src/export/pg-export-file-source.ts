import { pipeline, type Readable } from 'node:stream';
import { type ExportFile, type ExportFileRequest, ExportFileSource } from '@app/application';
import { findTicketColumn, type TicketColumn } from '@app/domain';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { TicketQueryBuilder } from '../tickets/ticket-query-builder';
import { CopyTextBatches } from './copy-text';
import { exportProjection } from './export-projection';
import { fileEncoder } from './file-encoders';

/**
 * Export files read from ONE snapshot: a REPEATABLE READ READ ONLY transaction holds for the whole attempt, so the
 * count and every row see the database as of one instant, whatever is inserted, updated or deleted meanwhile.
 * The format is decided here, once: Postgres formats the cells (exportProjection) and sends the rows through COPY
 * in text format; Node cuts them into batches of at most `batchSize` rows and the format's encoder writes the file.
 */
export class PgExportFileSource extends ExportFileSource {
  constructor(
    private readonly pool: Pool,
    private readonly batchSize: number,
  ) {
    super();
  }

  async open(request: ExportFileRequest): Promise<ExportFile> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(
        "SELECT set_config('TimeZone', $1, true), set_config('jit', 'off', true), set_config('work_mem', '256MB', true)",
        [request.query.timezone],
      );
      const { rows } = await client.query<{ at: Date }>('SELECT now() AS at');
      const builder = new TicketQueryBuilder(request.query, {
        tenantId: request.tenantId,
        me: request.requesterId,
        now: request.requestedAt,
        timezone: request.query.timezone,
        cutoff: request.requestedAt,
      });
      const count = builder.count();
      const counted = await client.query<{ count: string }>(count.text, count.values);
      return new PgExportFile(
        client,
        builder,
        request,
        rows[0].at,
        Number(counted.rows[0].count),
        this.batchSize,
      );
    } catch (error) {
      client.release(true);
      throw error;
    }
  }
}

class PgExportFile implements ExportFile {
  private batches: CopyTextBatches | null = null;
  private closed = false;
  private copyEnded = false;

  constructor(
    private readonly client: PoolClient,
    private readonly builder: TicketQueryBuilder,
    private readonly request: ExportFileRequest,
    readonly snapshotAt: Date,
    readonly totalRows: number,
    private readonly batchSize: number,
  ) {}

  get rowsRead(): number {
    return this.batches?.rowsRead ?? 0;
  }

  bytes(): Readable {
    if (this.batches) throw new Error('bytes() may be called once per export file');
    const { format, query } = this.request;
    const batches = (this.batches = new CopyTextBatches(this.batchSize));
    const columns = query.columns
      .map((key) => findTicketColumn(key))
      .filter((c): c is TicketColumn => c !== undefined);
    const stages = fileEncoder(format, columns);
    const file = stages[stages.length - 1];
    // An error anywhere, or the reader destroying the file, destroys every stage (the COPY too, below).
    pipeline([batches, ...stages], () => undefined);
    const copy = this.builder.copySelect(exportProjection(format, query.columns));
    this.client.query(copy.setup.text, copy.setup.values).then(
      () => {
        if (this.closed) {
          batches.destroy(); // closed while the setup ran: the connection is gone
          return;
        }
        const rows = this.client.query(copyTo(`COPY (${copy.text}) TO STDOUT`));
        rows.on('error', (error) => batches.destroy(error));
        rows.on('end', () => {
          this.copyEnded = true;
        });
        batches.on('close', () => {
          if (!rows.readableEnded) rows.destroy();
        });
        rows.pipe(batches);
      },
      (error: Error) => batches.destroy(error),
    );
    return file;
  }

  /** Commits the read-only transaction; a connection left mid-COPY or after an error is discarded, not reused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A COPY stopped before its end (cancel, failure, shutdown) leaves the server streaming into a socket nobody
    // reads any more: a COMMIT queued behind it would wait forever. Closing the connection ends it server-side.
    if (this.batches && !this.copyEnded) {
      this.client.release(true);
      return;
    }
    try {
      await this.client.query('COMMIT');
      this.client.release();
    } catch {
      this.client.release(true);
    }
  }
}
