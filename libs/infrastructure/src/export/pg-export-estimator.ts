import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ExportEstimateRequest, ExportEstimator, type RowsAndBytes } from '@app/application';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportJobQuery,
  findTicketColumn,
  type TicketColumn,
} from '@app/domain';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import {
  type CompiledQuery,
  type SettingsQuery,
  TicketQueryBuilder,
  type TicketQueryContext,
} from '../tickets/ticket-query-builder';
import { CopyTextBatches } from './copy-text';
import { exportProjection } from './export-projection';
import { fileEncoder } from './file-encoders';

export interface EstimateLimits {
  /** Above this many rows by the planner's estimate, the count is not even tried. */
  readonly exactCountMaxPlannedRows: number;
  /** A count still running after this long gives way to the planner's estimate (statement_timeout). */
  readonly countTimeoutMs: number;
  /** How many rows the bytes are measured on. */
  readonly sampleRows: number;
  /** How many of the table's rows (all tenants) the random sample of pages should hold, for `sampleRows` matches. */
  readonly samplePageRows: number;
  /** Finding the sample's rows may take no longer (a very selective filter on a big table scans it all). */
  readonly sampleTimeoutMs: number;
  /** The whole estimate's aim, from the connection to the commit (the HTTP round trip comes on top). */
  readonly budgetMs: number;
}

/**
 * Measured on 1M tickets (2 cores): the count of the "All tickets" view (980k rows) takes 135–185 ms on an idle
 * machine and runs out of 200 ms on a busy one, so beyond 500k planned rows it is not tried; the planner's
 * estimate takes 1–3 ms (within 0.2% of the count after ANALYZE), the sample's search and three COPYs of 200 rows
 * 20–40 ms. These bounds aim at an answer within 500 ms whatever the size.
 */
export const DEFAULT_ESTIMATE_LIMITS: EstimateLimits = {
  exactCountMaxPlannedRows: 500_000,
  countTimeoutMs: 200,
  sampleRows: 200,
  samplePageRows: 4000,
  sampleTimeoutMs: 60,
  budgetMs: 400,
};

/** What the sample's COPYs through the encoders take (three formats of 200 rows), kept out of the other steps. */
const COPY_RESERVE_MS = 60;

const QUERY_CANCELED = '57014';

/** Counts the bytes written into it. */
class ByteCounter extends Writable {
  bytes = 0;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.bytes += Buffer.byteLength(chunk);
    callback();
  }
}

const isQueryCanceled = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === QUERY_CANCELED;

/**
 * Estimates in one REPEATABLE READ READ ONLY snapshot, with the export's own query builder, projection and file
 * encoders: rows are counted exactly unless the planner expects too many or the count runs out of time; bytes are
 * the sizes of a sample of the rows (the first ones a scan meets, not the first in the view's order, which would
 * mean sorting every match) written in each format, scaled to the rows, plus the file's fixed part (BOM and header,
 * brackets). When every row is in the sample, the bytes are exact. A sample of 200 rows misses rare, very long
 * values: on the seeded tickets, where about one row in a thousand holds a 40 KB string, it comes out about 20%
 * low (see the README's Benchmark); a larger sample would cost more time than the 500 ms allow.
 */
export class PgExportEstimator extends ExportEstimator {
  constructor(
    private readonly pool: Pool,
    private readonly limits: EstimateLimits = DEFAULT_ESTIMATE_LIMITS,
  ) {
    super();
  }

  async estimate(request: ExportEstimateRequest): Promise<RowsAndBytes> {
    const deadline = Date.now() + this.limits.budgetMs;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query("SELECT set_config('TimeZone', $1, true), set_config('jit', 'off', true)", [
        request.query.timezone,
      ]);
      const context: TicketQueryContext = {
        tenantId: request.tenantId,
        me: request.requesterId,
        now: request.now,
        timezone: request.query.timezone,
        cutoff: request.now,
      };
      const builder = new TicketQueryBuilder(request.query, context);
      const { rows, rowsExact } = await this.countRows(client, builder, deadline);
      const tableRows = await estimatedTableRows(client);
      const sample = await this.sampleIds(client, request.query, context, tableRows);
      const sampleBuilder = new TicketQueryBuilder({ ...sample.query, ticketIds: sample.ids }, context);
      const columns = request.query.columns
        .map((key) => findTicketColumn(key))
        .filter((c): c is TicketColumn => c !== undefined);
      const bytes = {} as Record<ExportFormat, number>;
      for (const format of EXPORT_FORMATS) {
        const empty = await encodedSize(Readable.from([]), format, columns);
        const sampled =
          sample.ids.length === 0
            ? empty
            : await sampleSize(
                client,
                sampleBuilder.copySelect(exportProjection(format, request.query.columns)),
                format,
                columns,
              );
        const perRow = sample.ids.length === 0 ? 0 : (sampled - empty) / sample.ids.length;
        bytes[format] =
          sample.all && rowsExact && rows === sample.ids.length ? sampled : Math.round(empty + perRow * rows);
      }
      await client.query('COMMIT');
      client.release();
      return { rows, rowsExact, bytes };
    } catch (error) {
      client.release(true);
      throw error;
    }
  }

  /** The exact count when the planner expects few enough rows and it ends in time; else the planner's estimate. */
  private async countRows(
    client: PoolClient,
    builder: TicketQueryBuilder,
    deadline: number,
  ): Promise<{ rows: number; rowsExact: boolean }> {
    const planned = await plannedRows(client, builder.unorderedIds());
    // What is left once the sample (its search and its COPYs) has had its share.
    const timeoutMs = Math.min(
      this.limits.countTimeoutMs,
      deadline - Date.now() - this.limits.sampleTimeoutMs - COPY_RESERVE_MS,
    );
    if (planned > this.limits.exactCountMaxPlannedRows || timeoutMs < 1)
      return { rows: planned, rowsExact: false };
    const count = builder.count();
    const counted = await withTimeout(client, timeoutMs, () =>
      client.query<{ count: string }>(count.text, count.values),
    );
    return counted === null
      ? { rows: planned, rowsExact: false }
      : { rows: Number(counted.rows[0].count), rowsExact: true };
  }

  /**
   * `sampleRows` matching ids drawn from random pages of the table, so that they stand for all of it (the first
   * rows a scan meets are the oldest, often shorter ones); when those pages hold too few matches (a small tenant,
   * a narrow filter), the first matching ids a scan meets, and `all` when fewer matched in total. A scan that takes
   * too long (few matches in many rows) gives way to rows of the same columns without the filters: their size is
   * what the bytes need.
   */
  private async sampleIds(
    client: PoolClient,
    query: ExportJobQuery,
    context: TicketQueryContext,
    tableRows: number,
  ): Promise<Sample> {
    const limit = this.limits.sampleRows;
    const read = async (compiled: CompiledQuery): Promise<number[]> =>
      (await client.query<{ id: string }>(compiled.text, compiled.values)).rows.map((r) => Number(r.id));
    if (tableRows > this.limits.samplePageRows) {
      const percent = (100 * this.limits.samplePageRows) / tableRows;
      const spread = await withTimeout(client, this.limits.sampleTimeoutMs, () =>
        read(new TicketQueryBuilder(query, context).sampledIds(percent, limit)),
      );
      if (spread !== null && spread.length >= limit) return { ids: spread, all: false, query };
    }
    const matching = await withTimeout(client, this.limits.sampleTimeoutMs, () =>
      read(new TicketQueryBuilder(query, context).unorderedIds(limit)),
    );
    if (matching !== null) return { ids: matching, all: matching.length < limit, query };
    const unfiltered: ExportJobQuery = { ...query, conditions: [], search: null, ticketIds: undefined };
    const ids = await read(new TicketQueryBuilder(unfiltered, context).unorderedIds(limit));
    return { ids, all: false, query: unfiltered };
  }
}

interface Sample {
  readonly ids: number[];
  /** Every matching row is in the sample. */
  readonly all: boolean;
  /** The query the sample's rows match (without the filters when matching rows took too long to find). */
  readonly query: ExportJobQuery;
}

/** The sample's rows as the export writes them: its projection through COPY, batches and the format's encoder. */
async function sampleSize(
  client: PoolClient,
  copy: SettingsQuery,
  format: ExportFormat,
  columns: readonly TicketColumn[],
): Promise<number> {
  await client.query(copy.setup.text, copy.setup.values);
  return encodedSize(client.query(copyTo(`COPY (${copy.text}) TO STDOUT`)), format, columns);
}

/** The size of a file of `format` written from this COPY text (an empty stream: the file without rows). */
async function encodedSize(
  copyText: Readable,
  format: ExportFormat,
  columns: readonly TicketColumn[],
): Promise<number> {
  const counter = new ByteCounter();
  await pipeline([copyText, new CopyTextBatches(1000), ...fileEncoder(format, columns), counter]);
  return counter.bytes;
}

/** The planner's idea of how many rows the tickets table holds (all tenants); 0 before its first ANALYZE. */
async function estimatedTableRows(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ rows: number }>(
    "SELECT GREATEST(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = 'tickets'::regclass",
  );
  return rows[0]?.rows ?? 0;
}

/** The planner's estimate of the rows a query returns (EXPLAIN, nothing run). */
async function plannedRows(client: PoolClient, query: CompiledQuery): Promise<number> {
  const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) ${query.text}`,
    query.values,
  );
  return Math.round(rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
}

/** Runs `work` under a statement_timeout inside a savepoint: null when it ran out of time (the snapshot lives on). */
async function withTimeout<T>(
  client: PoolClient,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T | null> {
  await client.query('SAVEPOINT estimate_step');
  await client.query("SELECT set_config('statement_timeout', $1, true)", [String(timeoutMs)]);
  try {
    const result = await work();
    await client.query('RELEASE SAVEPOINT estimate_step');
    await client.query("SELECT set_config('statement_timeout', '0', true)");
    return result;
  } catch (error) {
    if (!isQueryCanceled(error)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT estimate_step');
    return null;
  }
}
