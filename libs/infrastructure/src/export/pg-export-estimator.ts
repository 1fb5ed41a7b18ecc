import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ExportEstimateRequest, ExportEstimator, type RowsAndBytes } from '@app/application';
import {
  type ExportFormat,
  type TicketExportQuery,
  ticketQueryOf,
  findTicketColumn,
  SIZE_ESTIMATED_FORMATS,
  type SizeEstimatedFormat,
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
import { columnSql } from '../tickets/ticket-sql-fields';
import { CopyTextBatches } from './copy-text';
import { exportProjection } from './export-projection';
import { fileEncoder } from './file-encoders';

export interface EstimateLimits {
  /** Above this many rows by the planner's estimate, the count is not even tried. */
  readonly exactCountMaxPlannedRows: number;
  /**
   * Nor above this planned cost (default cost settings: a sequential scan of about 1M tickets costs 75–85k): a
   * narrow filter returns few rows but still reads them all.
   */
  readonly exactCountMaxPlannedCost: number;
  /** A count still running after this long gives way to the planner's estimate (statement_timeout). */
  readonly countTimeoutMs: number;
  /** How many rows the bytes are measured on. */
  readonly sampleRows: number;
  /** How many of the table's rows (all tenants) the random sample of pages should hold, for `sampleRows` matches. */
  readonly samplePageRows: number;
  /** Finding the sample's rows may take no longer (a very selective filter on a big table scans it all). */
  readonly sampleTimeoutMs: number;
  /** How many matching rows the text cells' mean length is measured on, to correct the sample for a long tail. */
  readonly tailRows: number;
  /** ... reading at most about this many rows of the table (its pages hold every tenant's tickets). */
  readonly tailScanRows: number;
  /** At most this long, and only while the budget lasts (a slow count leaves less). */
  readonly tailTimeoutMs: number;
  /** The whole estimate's aim, from the connection to the commit (the HTTP round trip comes on top). */
  readonly budgetMs: number;
}

/**
 * Measured on 1M tickets (2 cores): the count of the "All tickets" view (980k rows) takes 135–185 ms on an idle
 * machine and runs out of 200 ms on a busy one (so do the 300k rows of a narrower view: the scan reads them all),
 * hence no count beyond 500k planned rows or a plan as costly as reading about 1M tickets. The planner's estimate
 * takes 1–3 ms (within 0.2% of the count after ANALYZE), the sample's search and three COPYs of 200 rows 20–40 ms,
 * the length aggregate 30–140 ms. These bounds aim at an answer within 500 ms whatever the size.
 */
export const DEFAULT_ESTIMATE_LIMITS: EstimateLimits = {
  exactCountMaxPlannedRows: 500_000,
  exactCountMaxPlannedCost: 75_000,
  countTimeoutMs: 200,
  sampleRows: 200,
  samplePageRows: 4000,
  sampleTimeoutMs: 60,
  tailRows: 20_000,
  tailScanRows: 60_000,
  tailTimeoutMs: 150,
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
 * brackets), corrected for rare very long values by the mean length of many more rows (tailCorrection). When
 * every row is in the sample, the bytes are exact.
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
    // Estimates are of ticket exports only (EstimateExportHandler refuses other sources).
    const query = ticketQueryOf(request.query);
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
      const builder = new TicketQueryBuilder(query, context);
      const { rows, rowsExact } = await this.countRows(client, builder, deadline);
      const tableRows = await estimatedTableRows(client);
      const sample = await this.sampleIds(client, query, context, tableRows);
      const tail = await this.tailCorrection(
        client,
        sample,
        context,
        { matching: rows, exact: rowsExact, table: tableRows },
        deadline,
      );
      const sampleBuilder = new TicketQueryBuilder({ ...sample.query, ticketIds: sample.ids }, context);
      const columns = query.columns
        .map((key) => findTicketColumn(key))
        .filter((c): c is TicketColumn => c !== undefined);
      const bytes = {} as Record<SizeEstimatedFormat, number>;
      for (const format of SIZE_ESTIMATED_FORMATS) {
        const empty = await encodedSize(Readable.from([]), format, columns);
        const sampled =
          sample.ids.length === 0
            ? empty
            : await sampleSize(
                client,
                sampleBuilder.copySelect(exportProjection(format, query.columns)),
                format,
                columns,
              );
        const perRow = sample.ids.length === 0 ? 0 : (sampled - empty) / sample.ids.length + tail;
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
    const plan = await planOf(client, builder.unorderedIds());
    const planned = plan.rows;
    // What is left once the sample (its search and its COPYs) has had its share.
    const timeoutMs = Math.min(
      this.limits.countTimeoutMs,
      deadline - Date.now() - this.limits.sampleTimeoutMs - COPY_RESERVE_MS,
    );
    if (
      planned > this.limits.exactCountMaxPlannedRows ||
      plan.cost > this.limits.exactCountMaxPlannedCost ||
      timeoutMs < 1
    )
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
    query: TicketExportQuery,
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
    const unfiltered: TicketExportQuery = { ...query, conditions: [], search: null, ticketIds: undefined };
    const ids = await read(new TicketQueryBuilder(unfiltered, context).unorderedIds(limit));
    return { ids, all: false, query: unfiltered };
  }

  /**
   * Row sizes have a long tail (a few very long descriptions or names): 200 rows mostly miss it, or now and then
   * hold one, and the bytes come out far off (22% low or twice too high on the seeded 1M tickets, where about one
   * row in a thousand carries a 40 KB string). So the sample's bytes per row are corrected by how much longer, on
   * average, the text cells of many more rows are than the sample's own: one SQL aggregate over about `tailRows`
   * matching rows from random pages (40–140 ms on 1M tickets), the difference added to every row. Numbers and dates
   * have (nearly) one size and are left out. Out of time, no correction.
   */
  private async tailCorrection(
    client: PoolClient,
    sample: Sample,
    context: TicketQueryContext,
    rows: { readonly matching: number; readonly exact: boolean; readonly table: number },
    deadline: number,
  ): Promise<number> {
    const timeoutMs = Math.min(this.limits.tailTimeoutMs, deadline - Date.now() - COPY_RESERVE_MS);
    if (sample.all || sample.ids.length === 0 || timeoutMs < 10) return 0;
    const textColumns = sample.query.columns.filter((key) => {
      const type = findTicketColumn(key)?.type;
      return type !== 'number' && type !== 'date';
    });
    if (textColumns.length === 0) return 0;
    // The raw values, not the export's cells: the same lengths to a byte or two, at a fraction of the cost.
    const cells = textColumns.map((key) =>
      findTicketColumn(key)?.type === 'tags' ? `array_to_string(${columnSql(key)}, ',')` : columnSql(key),
    );
    const meanLength = `avg(octet_length(concat_ws(',', ${cells.join(', ')})))::float8`;
    const read = async (compiled: CompiledQuery): Promise<number | null> =>
      (await client.query<{ value: number | null }>(compiled.text, compiled.values)).rows[0]?.value ?? null;
    // Counted at most `tailRows` matching rows: all of them (the tenant's index bounds the read). Otherwise pages
    // chosen at random hold about the same share of the matching rows; a tenant with a small share of the table
    // gets fewer than `tailRows` of them rather than a read of most of the table.
    const share =
      rows.exact && rows.matching <= this.limits.tailRows
        ? 100
        : Math.min(
            (100 * this.limits.tailRows) / Math.max(rows.matching, 1),
            (100 * this.limits.tailScanRows) / Math.max(rows.table, 1),
          );
    const percent = share < 100 ? share : undefined;
    const wide = await withTimeout(client, timeoutMs, () =>
      read(new TicketQueryBuilder(sample.query, context).aggregate(meanLength, percent)),
    );
    if (wide === null || wide === undefined) return 0;
    const own = await read(
      new TicketQueryBuilder({ ...sample.query, ticketIds: sample.ids }, context).aggregate(meanLength),
    );
    return own === null ? 0 : wide - own;
  }
}

interface Sample {
  readonly ids: number[];
  /** Every matching row is in the sample. */
  readonly all: boolean;
  /** The query the sample's rows match (without the filters when matching rows took too long to find). */
  readonly query: TicketExportQuery;
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

/** The planner's estimate of the rows a query returns and of its cost (EXPLAIN, nothing run). */
async function planOf(client: PoolClient, query: CompiledQuery): Promise<{ rows: number; cost: number }> {
  const { rows } = await client.query<{
    'QUERY PLAN': [{ Plan: { 'Plan Rows': number; 'Total Cost': number } }];
  }>(`EXPLAIN (FORMAT JSON) ${query.text}`, query.values);
  const { Plan: plan } = rows[0]['QUERY PLAN'][0];
  return { rows: Math.round(plan['Plan Rows']), cost: plan['Total Cost'] };
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
