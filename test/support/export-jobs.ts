import { createHash, randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { FileStorage } from '@app/application';
import {
  buildTicketQuery,
  DomainError,
  type ExportedFile,
  type ExportFormat,
  ExportJob,
  type ExportJobQuery,
  type ExportJobStage,
  type ExportJobStatusValue,
  exportObjectKey,
  findTicketColumn,
  type TicketColumn,
  type TicketQueryRefinement,
} from '@app/domain';
import { type AppConfig, loadConfig } from '@app/infrastructure/config/app-config';
import { TypeormExportJobRepository } from '@app/infrastructure/persistence/repositories/typeorm-export-job.repository';
import {
  EXPORT_QUEUE,
  exportJobOptions,
  type ExportQueueData,
  redisConnection,
} from '@app/infrastructure/queue/export-queue.constants';
import { createFileStorage } from '@app/infrastructure/storage/create-file-storage';
import { TicketQueryBuilder } from '@app/infrastructure/tickets/ticket-query-builder';
import { S3FileStorage } from '@app/infrastructure/storage/s3-file-storage';
import { Queue } from 'bullmq';
import { type Options as CsvOptions, parse as parseCsv } from 'csv-parse/sync';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from './database';
import type { TestTenant } from './factories';
import type { S3Config } from './s3';

/** A row of `ticket_views`: what the API hands to buildTicketQuery. */
export interface StoredView {
  readonly id: string;
  readonly name: string;
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
}

/** A view of the tenant by name (the seeded system views and the admin's own). */
export async function findView(pool: Pool, tenant: TestTenant, name: string): Promise<StoredView> {
  const { rows } = await pool.query<StoredView>(
    'SELECT id, name, columns, conditions, sort FROM ticket_views WHERE tenant_id = $1 AND name = $2',
    [tenant.id, name],
  );
  if (rows.length !== 1) throw new Error(`the test tenant has no view "${name}"`);
  return rows[0];
}

/** What a user asks for, as the body of POST /export-jobs would say it. */
export interface ExportRequest {
  readonly tenant: TestTenant;
  /** Local part of the requesting user (`admin`, `agent`, ...); default `admin`. */
  readonly requester?: string;
  readonly view?: StoredView | null;
  readonly refinement?: TicketQueryRefinement;
  readonly format?: ExportFormat;
  readonly timezone?: string;
  readonly fileName?: string | null;
}

/** One row of `export_jobs`, as the tests poll it. */
export interface JobRow {
  readonly id: string;
  readonly status: ExportJobStatusValue;
  readonly stage: ExportJobStage | null;
  readonly attempts: number;
  readonly percent: number;
  readonly rowsExported: number;
  readonly totalRows: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly fileId: string | null;
  readonly version: number;
  readonly updatedAt: Date;
  readonly requestedAt: Date;
  readonly snapshotAt: Date | null;
  readonly completedAt: Date | null;
}

export async function readJob(pool: Pool, tenantId: string, jobId: string): Promise<JobRow> {
  const { rows } = await pool.query<JobRow>(
    `SELECT id, status, stage, attempts, percent, rows_exported::float8 AS "rowsExported",
            total_rows::float8 AS "totalRows", error_code AS "errorCode", error_message AS "errorMessage",
            file_id AS "fileId", version, updated_at AS "updatedAt", requested_at AS "requestedAt",
            snapshot_at AS "snapshotAt", completed_at AS "completedAt"
       FROM export_jobs WHERE tenant_id = $1 AND id = $2`,
    [tenantId, jobId],
  );
  if (rows.length !== 1) throw new Error(`no export job ${jobId} in tenant ${tenantId}`);
  return rows[0];
}

/** Polls export_jobs every 25 ms until `predicate` holds; fails with the last row seen after `timeoutMs`. */
export async function waitForJob(
  pool: Pool,
  tenantId: string,
  jobId: string,
  predicate: (job: JobRow) => boolean,
  timeoutMs: number,
): Promise<JobRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(pool, tenantId, jobId);
    if (predicate(job)) return job;
    if (Date.now() > deadline)
      throw new Error(
        `export job ${jobId} did not get there within ${timeoutMs} ms; last seen: ${JSON.stringify(job)}`,
      );
    await delay(25);
  }
}

export const isFinished = (job: JobRow): boolean => job.status !== 'queued' && job.status !== 'running';

/** Polls `probe` every 10 ms until it returns true (for conditions outside the database: proxy, queue, files). */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(10);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Cancels as POST /export-jobs/:id/cancel does: load through the repository, cancel(), save with its audit row. */
export async function cancelJob(
  repository: TypeormExportJobRepository,
  tenant: TestTenant,
  jobId: string,
  actor = 'admin',
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const job = await repository.findById(tenant.id, jobId);
    if (!job) throw new Error(`no export job ${jobId}`);
    const from = job.status.value;
    job.cancel();
    try {
      await repository.save(job, {
        audit: [
          {
            tenantId: tenant.id,
            actorId: tenant.userId(actor),
            action: 'export.cancelled',
            jobId,
            details: { from },
          },
        ],
      });
      return;
    } catch (error) {
      // The worker's progress write won the race: reload and cancel again, as the API's handler does.
      const stale = error instanceof DomainError && error.code === 'EXPORT_JOB.CONCURRENT_UPDATE';
      if (!stale || attempt >= 5) throw error;
    }
  }
}

/** A completed job's file: its record, where it is stored and its bytes, read back through the FileStorage adapter. */
export interface ExportedFileContent {
  readonly record: ExportedFile;
  readonly objectKey: string;
  readonly bytes: Buffer;
}

/**
 * The engine's side of a spec: the configuration the spec's workers run with (its own Redis database, storage,
 * attempts), the test database, the `exports` queue of that Redis database, and the storage the workers write to.
 */
export class EngineHarness {
  readonly repository: TypeormExportJobRepository;
  /** Jobs this harness created: close() cancels those still active, so no other worker picks them up later. */
  private readonly created: string[] = [];

  private constructor(
    readonly config: AppConfig,
    readonly pool: Pool,
    readonly dataSource: DataSource,
    readonly queue: Queue<ExportQueueData>,
    readonly storage: FileStorage,
  ) {
    this.repository = new TypeormExportJobRepository(dataSource);
  }

  /**
   * `env` is what the spec's workers get (REDIS_URL with the spec's own database, STORAGE_*, EXPORT_*). That Redis
   * database is flushed first: nothing is left of an earlier run's queue.
   */
  static async open(env: Readonly<Record<string, string>>): Promise<EngineHarness> {
    const config = loadConfig({ ...process.env, ...env });
    const { db } = redisConnection(config.redisUrl);
    if (db < 5 || db > 15) throw new Error(`engine specs use Redis databases 5..15 (got ${db})`);
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushdb();
    } finally {
      await redis.quit();
    }
    const queue = new Queue<ExportQueueData>(EXPORT_QUEUE, {
      connection: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null },
    });
    return new EngineHarness(config, testPool(), await testDataSource(), queue, createFileStorage(config));
  }

  /**
   * Creates a job the way POST /export-jobs does: the view refined by the request (buildTicketQuery), saved
   * through the repository with its `export.requested` audit row, then enqueued with the API's queue options.
   */
  async requestExport(request: ExportRequest): Promise<ExportJob> {
    const { tenant, view = null, format = 'csv' } = request;
    const requester = request.requester ?? 'admin';
    const query: ExportJobQuery = {
      ...buildTicketQuery(view, request.refinement ?? {}),
      viewId: view?.id ?? null,
      viewName: view?.name ?? null,
      timezone: request.timezone ?? 'UTC',
      fileName: request.fileName ?? null,
    };
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: tenant.id,
      requestedBy: { id: tenant.userId(requester), email: tenant.email(requester) },
      source: 'tickets',
      format,
      query,
      now: new Date(),
    });
    this.created.push(job.id);
    await this.repository.save(job, {
      audit: [
        {
          tenantId: tenant.id,
          actorId: tenant.userId(requester),
          action: 'export.requested',
          jobId: job.id,
          details: { source: 'tickets', format, viewId: query.viewId },
        },
      ],
    });
    await this.enqueue(tenant.id, job.id);
    return job;
  }

  /** Adds the queue entry the API adds (entry id = job id, attempts, backoff). */
  async enqueue(tenantId: string, jobId: string): Promise<void> {
    await this.queue.add('export', { tenantId, jobId }, exportJobOptions(this.config, jobId));
  }

  waitForJob(
    tenant: TestTenant,
    jobId: string,
    predicate: (job: JobRow) => boolean,
    timeoutMs: number,
  ): Promise<JobRow> {
    return waitForJob(this.pool, tenant.id, jobId, predicate, timeoutMs);
  }

  /** Waits until the job finished (completed, failed, cancelled) and returns its row. */
  finished(tenant: TestTenant, jobId: string, timeoutMs = 30_000): Promise<JobRow> {
    return waitForJob(this.pool, tenant.id, jobId, isFinished, timeoutMs);
  }

  /** The completed job's file record, its object key and its bytes read back from storage. */
  async readFile(tenant: TestTenant, jobId: string): Promise<ExportedFileContent> {
    const job = await this.repository.findById(tenant.id, jobId);
    const record = job?.toSnapshot().file;
    if (!job || !record) throw new Error(`export job ${jobId} has no file`);
    const { rows } = await this.pool.query<{ object_key: string }>(
      'SELECT object_key FROM stored_files WHERE tenant_id = $1 AND id = $2',
      [tenant.id, record.storedFileId],
    );
    const objectKey = rows[0]?.object_key;
    if (objectKey !== exportObjectKey(job.toSnapshot()))
      throw new Error(`the file of job ${jobId} is stored under ${objectKey}, not its object key`);
    const { stream } = await this.storage.openRead(objectKey);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { record, objectKey, bytes: Buffer.concat(chunks) };
  }

  /** Actions of the job's audit rows, oldest first. */
  async auditActions(jobId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    return rows.map((r) => r.action);
  }

  /** The job's upload journal (export_uploads), oldest first. */
  async uploads(jobId: string): Promise<{ uploadId: string; attempt: number; outcome: string | null }[]> {
    const { rows } = await this.pool.query<{ uploadId: string; attempt: number; outcome: string | null }>(
      `SELECT upload_id AS "uploadId", attempt, outcome FROM export_uploads WHERE job_id = $1 ORDER BY started_at`,
      [jobId],
    );
    return rows;
  }

  async close(): Promise<void> {
    // Every worker's reconciler enqueues `queued` jobs of the whole database: leave none behind.
    await this.pool.query(
      `UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
      [this.created],
    );
    await this.queue.close();
    await this.dataSource.destroy();
    await this.pool.end();
    if (this.storage instanceof S3FileStorage) this.storage.onModuleDestroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What a file must hold: the list query's rows, formatted as CONTRACT §6 says, computed here independently of the
// engine's SQL projection.
// ---------------------------------------------------------------------------------------------------------------

/** A row of the list query: column keys to typed values (id as a string, dates as Date, tags as string[]). */
export type ListRow = Readonly<Record<string, unknown>>;

/**
 * The rows the user sees for the job's query, in order: `TicketQueryBuilder.select()` unpaged, with the export's
 * context (me = the requester, cutoff = the request time).
 */
export async function listRows(pool: Pool, job: ExportJob): Promise<ListRow[]> {
  const s = job.toSnapshot();
  const builder = new TicketQueryBuilder(s.query, {
    tenantId: s.tenantId,
    me: s.requestedById,
    now: s.requestedAt,
    timezone: s.query.timezone,
    cutoff: s.requestedAt,
  });
  const { text, values } = builder.select();
  const { rows } = await pool.query<ListRow>(text, values);
  return rows;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `2026-06-01T17:30:05+05:30`: the instant in `timeZone`, whole seconds (fractions dropped), with its offset. */
export function isoInZone(date: Date, timeZone: string): string {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(whole)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offset = (local - whole.getTime()) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** CONTRACT §6: a text cell a spreadsheet would run as a formula gets a leading apostrophe. */
export function formulaGuarded(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const columnsOf = (job: ExportJob): TicketColumn[] =>
  job.toSnapshot().query.columns.map((key) => {
    const column = findTicketColumn(key);
    if (!column) throw new Error(`unknown column ${key}`);
    return column;
  });

/** One CSV record as the contract describes it: labels, dates with offset, tags joined with ', ', guarded text. */
export function expectedCsvRecord(
  columns: readonly TicketColumn[],
  row: ListRow,
  timeZone: string,
): string[] {
  return columns.map(({ key, type }) => {
    const value = row[key];
    if (value === null || value === undefined) return '';
    switch (type) {
      case 'number':
        return typeof value === 'number' ? String(value) : (value as string);
      case 'date':
        return isoInZone(value as Date, timeZone);
      case 'tags':
        return formulaGuarded((value as string[]).join(', '));
      case 'text':
      case 'choice':
        return formulaGuarded(value as string);
    }
  });
}

/** One JSON / NDJSON object: keyed by column key, typed (id a number, tags an array, dates ISO with offset, nulls). */
export function expectedJsonObject(
  columns: readonly TicketColumn[],
  row: ListRow,
  timeZone: string,
): Record<string, unknown> {
  return Object.fromEntries(
    columns.map(({ key, type }) => {
      const value = row[key] ?? null;
      if (value === null) return [key, null];
      if (type === 'number') return [key, Number(value)];
      if (type === 'date') return [key, isoInZone(value as Date, timeZone)];
      return [key, value];
    }),
  );
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CSV_OPTIONS: CsvOptions = { bom: true, record_delimiter: '\r\n' };

/**
 * Reads a CSV export strictly: BOM first, every record (quoted line breaks aside) ended by CRLF, the last one
 * included; then parses it (RFC 4180) into the header and the records.
 */
export function readCsv(bytes: Buffer): { header: string[]; records: string[][] } {
  if (!bytes.subarray(0, 3).equals(BOM)) throw new Error('the CSV file does not start with a UTF-8 BOM');
  const text = bytes.toString('utf8');
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '\r' && text[i + 1] !== '\n')
      throw new Error(`a bare CR outside quotes at offset ${i}`);
    else if (!quoted && c === '\n' && text[i - 1] !== '\r')
      throw new Error(`a bare LF outside quotes at offset ${i}`);
  }
  if (quoted) throw new Error('the CSV file ends inside a quoted cell');
  if (!text.endsWith('\r\n')) throw new Error('the last CSV record does not end with CRLF');
  const [header, ...records] = parseCsv(bytes, CSV_OPTIONS);
  return { header, records };
}

export function readJson(bytes: Buffer): Record<string, unknown>[] {
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('the JSON export is not an array');
  return parsed as Record<string, unknown>[];
}

export function readNdjson(bytes: Buffer): Record<string, unknown>[] {
  const text = bytes.toString('utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('the NDJSON export does not end with a newline');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------------------------
// Many tickets at once: one set-based INSERT ... SELECT generate_series (the seed's ticket generator style), with
// many ties and nulls on every sortable field.
// ---------------------------------------------------------------------------------------------------------------

export interface BulkTickets {
  readonly count: number;
  /** Creation times fall in the `spreadMinutes` whole minutes before this instant (many tickets share one). */
  readonly createdBefore: Date;
  readonly spreadMinutes?: number;
  /** Titles are `<prefix> <n>`. */
  readonly titlePrefix?: string;
  /** Length of each description: wide rows make big files. */
  readonly descriptionLength?: number;
  /** One category for all (null for none); by default they rotate, null included. */
  readonly category?: string | null;
  readonly deletedAt?: Date | null;
}

const CATEGORIES = ['Billing', 'Technical', 'Account', null, 'Bug', 'Shipping'];

/** Inserts `count` tickets in one statement; returns how many were inserted. */
export async function insertBulkTickets(
  pool: Pool,
  tenant: TestTenant,
  options: BulkTickets,
): Promise<number> {
  const statuses = Object.values(tenant.statusIds);
  const priorities = [...Object.values(tenant.priorityIds), null];
  const users = [...Object.values(tenant.userIds), null, null];
  const teams = [...Object.values(tenant.teamIds), null];
  const result = await pool.query(
    `INSERT INTO tickets (tenant_id, title, description, status_id, priority_id, category, tags, assignee_id, team_id,
                          contact_id, created_by_id, creation_time, last_modification_time, resolved_at, closed_at,
                          sla_due_at, sla_status, language, deleted_at)
     SELECT $1,
            $2 || ' ' || g,
            left(repeat('Lorem ipsum dolor sit amet, ticket ' || g || '. ', 1 + $3 / 30), $3),
            ($4::int[])[1 + g % cardinality($4::int[])],
            ($5::int[])[1 + (g / 3) % cardinality($5::int[])],
            CASE WHEN $6 THEN $7 ELSE ($8::text[])[1 + (g / 7) % cardinality($8::text[])] END,
            (ARRAY['{}', '{refund}', '{invoice,vip}', '{bug}', '{"=cmd|x",urgent}'])[1 + g % 5]::text[],
            ($9::uuid[])[1 + (g / 2) % cardinality($9::uuid[])],
            ($10::uuid[])[1 + (g / 5) % cardinality($10::uuid[])],
            NULL,
            $11,
            c.created,
            CASE WHEN g % 5 = 0 THEN NULL ELSE c.created + make_interval(hours => g % 48) END,
            CASE WHEN g % 3 = 0 THEN c.created + make_interval(days => 1) END,
            CASE WHEN g % 9 = 0 THEN c.created + make_interval(days => 2) END,
            CASE WHEN g % 4 = 0 THEN NULL ELSE date_trunc('day', c.created) + make_interval(days => g % 10) END,
            (ARRAY['on_track', 'at_risk', 'breached', NULL])[1 + g % 4],
            (ARRAY['en', 'de', NULL])[1 + g % 3],
            $14
       FROM generate_series(1, $12::int) g
      CROSS JOIN LATERAL (
        SELECT date_trunc('minute', $13::timestamptz) - make_interval(mins => ((g::bigint * 7919) % $15)::int)
               - interval '1 minute' AS created
      ) c`,
    [
      tenant.id,
      options.titlePrefix ?? 'Bulk ticket',
      options.descriptionLength ?? 40,
      statuses,
      priorities,
      options.category !== undefined,
      options.category ?? null,
      CATEGORIES,
      users,
      teams,
      tenant.userId('admin'),
      options.count,
      options.createdBefore.toISOString(),
      options.deletedAt ?? null,
      options.spreadMinutes ?? 5000,
    ],
  );
  return result.rowCount ?? 0;
}

/** Keys of the objects under `prefix`, listed straight from the S3 server (not through a recording proxy). */
export async function objectKeys(s3: S3Config, prefix: string): Promise<string[]> {
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint ?? undefined,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId ?? '', secretAccessKey: s3.secretAccessKey ?? '' },
  });
  try {
    const { Contents } = await client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket ?? '', Prefix: prefix }),
    );
    return (Contents ?? []).map((o) => o.Key ?? '');
  } finally {
    client.destroy();
  }
}

/** What a worker needs to write to `s3` (the S3 server, or a recording proxy in front of it). */
export function s3Env(s3: S3Config): Record<string, string> {
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint ?? '',
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket ?? '',
    S3_ACCESS_KEY_ID: s3.accessKeyId ?? '',
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey ?? '',
    S3_FORCE_PATH_STYLE: 'true',
  };
}
