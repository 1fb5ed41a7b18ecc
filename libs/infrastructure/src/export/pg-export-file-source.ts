import { pipeline, type Readable } from 'node:stream';
import { type ExportFile, type ExportFileRequest, ExportFileSource } from '@app/application';
import { exportSourceDefinition } from '@app/domain';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { type CopyToStreamQuery, to as copyTo } from 'pg-copy-streams';
import { PG_QUERY_TIMEOUT_MS } from '../persistence/pg-connection';
import { EXPORT_SOURCE_SQL } from '../export-sources/registry';
import type { ExportSourceSql, SourceSqlRequest } from '../export-sources/source-sql';
import type { CompiledQuery } from '../tickets/ticket-query-builder';
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

/** pg_export_snapshot()'s id (hex words joined by `-`): checked before it enters SET TRANSACTION SNAPSHOT's text. */
const SNAPSHOT_ID = /^[0-9A-F]+(-[0-9A-F]+)+$/i;

/**
 * Export files read from ONE snapshot: a REPEATABLE READ READ ONLY transaction holds for the whole attempt, so the
 * count and every row see the database as of one instant, whatever is inserted, updated or deleted meanwhile.
 * The source's SQL (export-sources/registry.ts) decides the rows, their order and columns; the format is decided
 * here, once: Postgres formats the cells (export-projection.ts) and sends the rows through COPY
 * in text format; Node cuts them into batches of at most `batchSize` rows and the format's encoder writes the file.
 *
 * The COPY starts as soon as the snapshot is taken, and the count runs meanwhile on a second connection of the pool
 * that imports the same snapshot (pg_export_snapshot): the count's scan overlaps the COPY's sort instead of
 * preceding it. The COPY's rows wait, by back-pressure, until the attempt reads `bytes()`. The pool needs one
 * connection more than the attempts running at once: a count holds its connection only for the count.
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
    let file: PgExportFile | null = null;
    try {
      await client.query(timed('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', [], PG_QUERY_TIMEOUT_MS));
      const { rows } = await client.query<{ at: Date; snapshot: string }>(
        timed(
          "SELECT set_config('TimeZone', $1, true), set_config('jit', 'off', true), set_config('work_mem', '256MB', true), now() AS at, pg_export_snapshot() AS snapshot",
          [request.query.timezone],
          PG_QUERY_TIMEOUT_MS,
        ),
      );
      const sql = EXPORT_SOURCE_SQL[request.source];
      const copy = sql.copy(request, request.format);
      await client.query(timed(copy.setup.text, copy.setup.values, PG_QUERY_TIMEOUT_MS));
      file = new PgExportFile(
        client,
        sql,
        request,
        rows[0].at,
        this.batchSize,
        this.timeouts.copyIdleTimeoutMs ?? DEFAULT_COPY_IDLE_TIMEOUT_MS,
        this.encoderOptions,
      );
      file.startCopy(copy.text);
      file.totalRows = await this.count(rows[0].snapshot, sql.count(request), request.query.timezone);
      return file;
    } catch (error) {
      if (file) await file.close();
      else client.release(true);
      throw error;
    }
  }

  /** The matching rows, counted on another connection in the snapshot `snapshotId` while the COPY runs. */
  private async count(snapshotId: string, count: CompiledQuery, timezone: string): Promise<number> {
    if (!SNAPSHOT_ID.test(snapshotId))
      throw new Error(`unexpected snapshot id from PostgreSQL: ${snapshotId}`);
    const client = await this.pool.connect();
    try {
      // Simple protocol (no parameters): the three statements in one round trip, the snapshot imported first.
      await client.query(
        timed(
          `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${snapshotId}'; SET LOCAL jit = off`,
          [],
          PG_QUERY_TIMEOUT_MS,
        ),
      );
      // The export's time zone, as on the COPY's connection (a source may compare local days).
      await client.query(timed("SELECT set_config('TimeZone', $1, true)", [timezone], PG_QUERY_TIMEOUT_MS));
      const counted = await client.query<{ count: string }>(
        timed(count.text, count.values, this.timeouts.longQueryTimeoutMs),
      );
      await client.query(timed('COMMIT', [], PG_QUERY_TIMEOUT_MS));
      client.release();
      return Number(counted.rows[0].count);
    } catch (error) {
      client.release(true);
      throw error;
    }
  }
}

class PgExportFile implements ExportFile {
  private rows: CopyToStreamQuery | null = null;
  private copyError: Error | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private batches: CopyTextBatches | null = null;
  private closed = false;
  private copyEnded = false;
  /** Set by the source once counted, before the file is handed out. */
  totalRows = 0;

  constructor(
    private readonly client: PoolClient,
    private readonly sql: ExportSourceSql,
    private readonly request: ExportFileRequest & SourceSqlRequest,
    readonly snapshotAt: Date,
    private readonly batchSize: number,
    private readonly copyIdleTimeoutMs: number,
    private readonly encoderOptions: FileEncoderOptions,
  ) {}

  get rowsRead(): number {
    return this.batches?.rowsRead ?? 0;
  }

  /** Sends the COPY (its settings are set): the server sorts now; the rows wait for bytes() by back-pressure. */
  startCopy(text: string): void {
    const rows = (this.rows = this.client.query(copyTo(`COPY (${text}) TO STDOUT`)));
    rows.on('error', (error) => {
      this.copyError = error;
      this.batches?.destroy(error);
    });
    rows.on('end', () => {
      this.copyEnded = true;
    });
  }

  bytes(): Readable {
    const { rows } = this;
    if (!rows) throw new Error('bytes() before the COPY started');
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
    batches.on('close', () => {
      this.stopWatching();
      if (!rows.readableEnded) rows.destroy();
    });
    if (this.copyError) batches.destroy(this.copyError);
    else if (this.closed) batches.destroy(new Error('the export file was closed'));
    else {
      // Watched from here on: a 'data' listener makes the COPY flow, so not before its reader is there.
      this.watchdog = this.watch(rows);
      rows.pipe(batches);
    }
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
      querySummary: describeQuery(this.request.source, query),
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

  private stopWatching(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** Commits the read-only transaction; a connection left mid-COPY or after an error is discarded, not reused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A COPY stopped before its end (cancel, failure, shutdown) leaves the server streaming into a socket nobody
    // reads any more: a COMMIT queued behind it would wait forever. Closing the connection ends it server-side.
    this.stopWatching();
    if (this.rows && !this.copyEnded) {
      this.rows.destroy();
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
