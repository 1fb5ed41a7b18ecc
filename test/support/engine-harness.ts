import {
  type AppConfig,
  loadConfig,
  TypeormExportJobRepository,
  EXPORT_QUEUE,
  exportJobOptions,
  type ExportQueueData,
  redisConnection,
  createFileStorage,
} from '@app/infrastructure';
import { S3FileStorage } from '@app/infrastructure/sdk-adapters';
import { randomUUID } from 'node:crypto';
import type { FileStorage } from '@app/application';
import {
  buildTicketQuery,
  ConcurrentUpdateError,
  type ExportedFile,
  type ExportFormat,
  ExportJob,
  type ExportJobQuery,
  exportObjectKey,
  type TicketQueryRefinement,
} from '@app/domain';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from './database';
import type { TestTenant } from './factories';
import { isFinished, type JobRow, waitForJob } from './job-polling';

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
      const stale = error instanceof ConcurrentUpdateError;
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
  /** Tenants this harness exported for: close() settles their journal entries. */
  private readonly tenants = new Set<string>();

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
    if (db < 1 || db > 15) throw new Error(`engine specs use Redis databases 1..15 (got ${db})`);
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushdb();
    } finally {
      await redis.quit();
    }
    const queue = new Queue<ExportQueueData>(EXPORT_QUEUE, {
      connection: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: null },
    });
    return new EngineHarness(
      config,
      testPool(),
      await testDataSource(),
      queue,
      await createFileStorage(config),
    );
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
    this.tenants.add(tenant.id);
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

  /**
   * A CSV export of wide rows in id order (description included): big enough on bulk tickets to be mid multipart
   * upload when a fault hits, and its ids prove no row came twice.
   */
  requestWideExport(tenant: TestTenant): Promise<ExportJob> {
    return this.requestExport({
      tenant,
      format: 'csv',
      refinement: {
        columns: ['id', 'title', 'description', 'status', 'priority', 'category', 'creationTime'],
        sort: [{ field: 'id', direction: 'asc' }],
      },
    });
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

  /** The object key of the job's current attempt (per-attempt keys): where its completed file must be. */
  async objectKeyOf(tenant: TestTenant, jobId: string): Promise<string> {
    const job = await this.repository.findById(tenant.id, jobId);
    if (!job) throw new Error(`export job ${jobId} does not exist`);
    return exportObjectKey(job.toSnapshot());
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
    // Fault specs leave uploads that no storage can abort any more (their S3 server is gone, or refused the
    // abort on purpose): settled here, so a later spec's cleanup run does not count them as its own errors.
    await this.pool.query(
      `UPDATE export_uploads SET finished_at = now(), outcome = 'aborted'
        WHERE tenant_id = ANY($1::uuid[]) AND finished_at IS NULL`,
      [[...this.tenants]],
    );
    await this.queue.close();
    await this.dataSource.destroy();
    await this.pool.end();
    if (this.storage instanceof S3FileStorage) this.storage.onModuleDestroy();
  }
}
