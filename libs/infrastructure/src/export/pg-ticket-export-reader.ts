import {
  TicketExportReader,
  type ExportRowStream,
  type OpenTicketSnapshot,
  type TicketExportSnapshot,
} from '@app/application';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { TicketQueryBuilder } from '../tickets/ticket-query-builder';
import { CopyTextBatches } from './copy-text';
import { exportProjection } from './export-projection';

/**
 * Reads an export from ONE snapshot: a REPEATABLE READ READ ONLY transaction holds for the whole attempt, so the
 * count and every row see the database as of one instant, whatever is inserted, updated or deleted meanwhile.
 * Rows leave Postgres through COPY in text format, already formatted; Node only cuts them into batches.
 */
export class PgTicketExportReader extends TicketExportReader {
  constructor(private readonly pool: Pool) {
    super();
  }

  async open(input: OpenTicketSnapshot): Promise<TicketExportSnapshot> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(
        "SELECT set_config('TimeZone', $1, true), set_config('jit', 'off', true), set_config('work_mem', '256MB', true)",
        [input.query.timezone],
      );
      const { rows } = await client.query<{ at: Date }>('SELECT now() AS at');
      return new PgTicketSnapshot(client, input, rows[0].at);
    } catch (error) {
      client.release(true);
      throw error;
    }
  }
}

class PgTicketSnapshot implements TicketExportSnapshot {
  private readonly builder: TicketQueryBuilder;
  private closed = false;
  private copying = false;
  private copyEnded = false;

  constructor(
    private readonly client: PoolClient,
    private readonly input: OpenTicketSnapshot,
    readonly snapshotAt: Date,
  ) {
    this.builder = new TicketQueryBuilder(input.query, {
      tenantId: input.tenantId,
      me: input.requesterId,
      now: input.requestedAt,
      timezone: input.query.timezone,
      cutoff: input.requestedAt,
    });
  }

  async count(): Promise<number> {
    const { text, values } = this.builder.count();
    const { rows } = await this.client.query<{ count: string }>(text, values);
    return Number(rows[0].count);
  }

  rows(): ExportRowStream {
    if (this.copying) throw new Error('rows() may be called once per snapshot');
    this.copying = true;
    const query = this.builder.copySelect(exportProjection(this.input.format, this.input.query.columns));
    const parser = new CopyTextBatches();
    this.client.query(query.setup.text, query.setup.values).then(
      () => {
        if (this.closed) {
          parser.destroy(); // closed while the setup ran: the connection is gone
          return;
        }
        const copy = this.client.query(copyTo(`COPY (${query.text}) TO STDOUT`));
        copy.on('error', (error) => parser.destroy(error));
        copy.on('end', () => {
          this.copyEnded = true;
        });
        parser.on('close', () => {
          if (!copy.readableEnded) copy.destroy();
        });
        copy.pipe(parser);
      },
      (error: Error) => parser.destroy(error),
    );
    return parser;
  }

  /** Commits the read-only transaction; a connection left mid-COPY or after an error is discarded, not reused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A COPY stopped before its end (cancel, failure, shutdown) leaves the server streaming into a socket nobody
    // reads any more: a COMMIT queued behind it would wait forever. Closing the connection ends it server-side.
    if (this.copying && !this.copyEnded) {
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
