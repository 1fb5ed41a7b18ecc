import { pipeline, type Readable } from 'node:stream';
import { type ExportFile, type ExportFileRequest, ExportFileSource } from '@app/application';
import { exportSourceDefinition } from '@app/domain';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PG_QUERY_TIMEOUT_MS } from '../persistence/pg-connection';
import { EXPORT_SOURCE_SQL } from '../export-sources/registry';
import type { ExportSourceSql, SourceSqlRequest } from '../export-sources/source-sql';
import { CopyTextBatches } from './copy-text';
import {
  DEFAULT_FILE_ENCODER_OPTIONS,
  fileEncoder,
  type FileEncoderOptions,
  loadFileEncoder,
} from './file-encoders';
import type { PdfDocumentInfo } from './pdf/pdf-table-encoder';
import { describeQuery } from './pdf/query-summary';

export interface PgExportTimeouts {
  /** The read timeout of the count, which may take long on a big table (EXPORT_ATTEMPT_TIMEOUT_S bounds it). */
  readonly longQueryTimeoutMs: number;
  /**
   * A COPY that has begun streaming and then delivers nothing for this long, while the file is ready for more, is
   * stalled: its attempt fails as an outage (ETIMEDOUT) and is retried. Before its first row a COPY may sort for a
   * long time: only the attempt timeout bounds that.
   */
  readonly copyIdleTimeoutMs?: number;
}

const DEFAULT_COPY_IDLE_TIMEOUT_MS = 60_000;

/** A query with a client-side read timeout (pg's `query_timeout`): the call fails once no answer came in time. */
function timed(text: string, values: unknown[], timeoutMs: number): QueryConfig {
  const query: QueryConfig & { query_timeout: number } = { text, values, query_timeout: timeoutMs };
  return query;
}

/** An outage as failure-kind classifies it (a Node socket timeout code): the attempt is retried. */
function stalledCopy(idleMs: number): Error {
  return Object.assign(new Error(`the COPY delivered nothing for ${idleMs} ms`), { code: 'ETIMEDOUT' });
}

/**
 * Export files read from ONE snapshot: a REPEATABLE READ READ ONLY transaction holds for the whole attempt, so the
 * count and every row see the database as of one instant, whatever is inserted, updated or deleted meanwhile.
 * The source's SQL (export-sources/registry.ts) decides the rows, their order and columns; the format is decided
 * here, once: Postgres formats the cells (export-projection.ts) and sends the rows through COPY
 * in text format; Node cuts them into batches of at most `batchSize` rows and the format's encoder writes the file.
 */
export class PgExportFileSource extends ExportFileSource {
  constructor(
    private readonly pool: Pool,
    private readonly batchSize: number,
    private readonly timeouts: PgExportTimeouts,
    private readonly encoderOptions: FileEncoderOptions = DEFAULT_FILE_ENCODER_OPTIONS,
  ) {
    super();
  }

  async open(request: ExportFileRequest): Promise<ExportFile> {
    await loadFileEncoder(request.format);
    const client = await this.pool.connect();
    try {
      await client.query(timed('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', [], PG_QUERY_TIMEOUT_MS));
      await client.query(
        timed(
          "SELECT set_config('TimeZone', $1, true), set_config('jit', 'off', true), set_config('work_mem', '256MB', true)",
          [request.query.timezone],
          PG_QUERY_TIMEOUT_MS,
        ),
      );
      const { rows } = await client.query<{ at: Date }>(timed('SELECT now() AS at', [], PG_QUERY_TIMEOUT_MS));
      const sql = EXPORT_SOURCE_SQL[request.source];
      const count = sql.count(request);
      const counted = await client.query<{ count: string }>(
        timed(count.text, count.values, this.timeouts.longQueryTimeoutMs),
      );
      return new PgExportFile(
        client,
        sql,
        request,
        rows[0].at,
        Number(counted.rows[0].count),
        this.batchSize,
        this.timeouts.copyIdleTimeoutMs ?? DEFAULT_COPY_IDLE_TIMEOUT_MS,
        this.encoderOptions,
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
    private readonly sql: ExportSourceSql,
    private readonly request: ExportFileRequest & SourceSqlRequest,
    readonly snapshotAt: Date,
    readonly totalRows: number,
    private readonly batchSize: number,
    private readonly copyIdleTimeoutMs: number,
    private readonly encoderOptions: FileEncoderOptions,
  ) {}

  get rowsRead(): number {
    return this.batches?.rowsRead ?? 0;
  }

  bytes(): Readable {
    if (this.batches) throw new Error('bytes() may be called once per export file');
    const { format, query } = this.request;
    const batches = (this.batches = new CopyTextBatches(this.batchSize));
    const columns = this.sql.columns(query);
    // Sheets are named after the source ("Tickets", "Audit log", ...), the XLSX layout's name otherwise.
    const label = exportSourceDefinition(this.request.source).label;
    const options = { ...this.encoderOptions, xlsx: { ...this.encoderOptions.xlsx, sheetName: label } };
    const stages = fileEncoder(
      format,
      columns,
      this.request.source === 'tickets' ? this.encoderOptions : options,
      format === 'pdf' ? this.pdfInfo() : undefined,
    );
    const file = stages[stages.length - 1];
    // An error anywhere, or the reader destroying the file, destroys every stage (the COPY too, below).
    pipeline([batches, ...stages], () => undefined);
    const copy = this.sql.copy(this.request, format);
    this.client.query(timed(copy.setup.text, copy.setup.values, PG_QUERY_TIMEOUT_MS)).then(
      () => {
        if (this.closed) {
          batches.destroy(); // closed while the setup ran: the connection is gone
          return;
        }
        const rows = this.client.query(copyTo(`COPY (${copy.text}) TO STDOUT`));
        const watchdog = this.watch(rows);
        rows.on('error', (error) => batches.destroy(error));
        rows.on('end', () => {
          this.copyEnded = true;
        });
        batches.on('close', () => {
          clearInterval(watchdog);
          if (!rows.readableEnded) rows.destroy();
        });
        rows.pipe(batches);
      },
      (error: Error) => batches.destroy(error),
    );
    return file;
  }

  /** The title block of a PDF: what was exported, for whom, as of when. */
  private pdfInfo(): Omit<PdfDocumentInfo, 'pageSize'> {
    const { query, requesterEmail } = this.request;
    return {
      // The title: the view's name, else the source's ("Tickets", "Audit log", ...).
      viewName: query.viewName ?? exportSourceDefinition(this.request.source).label,
      requestedBy: requesterEmail,
      snapshotAt: this.snapshotAt,
      timezone: query.timezone,
      totalRows: this.totalRows,
      querySummary: describeQuery(query),
    };
  }

  /**
   * Fails a COPY that stopped delivering (PostgreSQL or the network stalled: the connection stays open, no bytes
   * come, and no timeout of pg's would notice). Time spent paused by back-pressure (a slow upload) does not count,
   * nor does the time before the first chunk (the server may be sorting).
   */
  private watch(rows: Readable): NodeJS.Timeout {
    let started = false;
    let lastProgressAt = Date.now();
    rows.on('data', () => {
      started = true;
      lastProgressAt = Date.now();
    });
    const timer = setInterval(
      () => {
        if (!started || rows.readableFlowing !== true) lastProgressAt = Date.now();
        else if (Date.now() - lastProgressAt >= this.copyIdleTimeoutMs)
          rows.destroy(stalledCopy(this.copyIdleTimeoutMs));
      },
      Math.min(1000, this.copyIdleTimeoutMs),
    );
    timer.unref();
    return timer;
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
      await this.client.query(timed('COMMIT', [], PG_QUERY_TIMEOUT_MS));
      this.client.release();
    } catch {
      this.client.release(true);
    }
  }
}
