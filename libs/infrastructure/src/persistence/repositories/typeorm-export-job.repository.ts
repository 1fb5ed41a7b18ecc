import { type AddOptions, type AddOutcome, ExportJobRepository, type SaveOptions } from '@app/application';
import { ConcurrentUpdateError, type ExportJob } from '@app/domain';
import type { JobChangePublisher } from '../../events/redis-job-change-publisher';
import { type DataSource, type EntityManager, type FindOptionsWhere, MoreThanOrEqual } from 'typeorm';
import { ExportJobOrmEntity } from '../entities/export-job.orm-entity';
import { StoredFileOrmEntity } from '../entities/stored-file.orm-entity';
import { insertAuditRows } from './audit-rows';
import { ExportJobMapper } from './export-job.mapper';

/**
 * Versions of the jobs this repository handed out or saved, keyed by the aggregate instance: the aggregate stays
 * free of persistence fields, and an update only applies to the row version it was loaded from.
 *
 * Every committed write of a job is announced to `changes` (the live event streams): the worker's progress and
 * outcome, the API's cancel and retry, the cleanup's expiry all save through here, so none can be forgotten.
 */
export class TypeormExportJobRepository extends ExportJobRepository {
  private readonly versions = new WeakMap<ExportJob, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: JobChangePublisher | null = null,
  ) {
    super();
  }

  async findById(tenantId: string, id: string): Promise<ExportJob | null> {
    const row = await findUnique(this.dataSource.manager, { tenantId, id });
    return row ? this.restore(row) : null;
  }

  /** The job, its new file and its audit rows in one transaction; a stale version fails the whole of it. */
  async save(job: ExportJob, options: SaveOptions = {}): Promise<void> {
    const columns = ExportJobMapper.toColumns(job);
    const version = this.versions.get(job);
    const next = (version ?? 0) + 1;
    await this.dataSource.transaction(async (manager) => {
      if (options.newFile) {
        const { id, tenantId, name, contentType, sizeBytes, sha256, provider, bucket, objectKey } =
          options.newFile;
        await manager.insert(StoredFileOrmEntity, {
          id,
          tenantId,
          name,
          contentType,
          sizeBytes: String(sizeBytes),
          sha256,
          provider,
          bucket,
          objectKey,
        });
      }
      if (version === undefined) {
        await manager.insert(ExportJobOrmEntity, { ...columns, version: next, updatedAt: new Date() });
      } else {
        const result = await manager.update(
          ExportJobOrmEntity,
          { id: columns.id, tenantId: columns.tenantId, version },
          { ...columns, ...progressClock(job), version: next, updatedAt: new Date() },
        );
        if (result.affected !== 1) throw new ConcurrentUpdateError(job.id);
      }
      await insertAuditRows(manager, options.audit ?? []);
    });
    this.versions.set(job, next);
    this.announce(job);
  }

  /**
   * Only the progress columns, the version and the progress clock: the row's query and the rest stay as they are. A
   * stale version writes nothing and fails with ConcurrentUpdateError, like `save`.
   */
  async saveProgress(job: ExportJob): Promise<void> {
    const version = this.versions.get(job);
    if (version === undefined) throw new Error(`job ${job.id} was not loaded by this repository`);
    const { id, tenantId, progress } = job.toSnapshot();
    const [, affected] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE export_jobs
          SET percent = $4, rows_exported = $5, total_rows = $6, version = version + 1,
              updated_at = now(), progress_changed_at = now()
        WHERE tenant_id = $1 AND id = $2 AND version = $3`,
      [tenantId, id, version, progress.percent, progress.rowsExported, progress.totalRows],
    );
    if (affected !== 1) throw new ConcurrentUpdateError(job.id);
    this.versions.set(job, version + 1);
    this.announce(job);
  }

  async findByIdempotencyKey(
    tenantId: string,
    requestedById: string,
    key: string,
    since: Date,
  ): Promise<ExportJob | null> {
    const row = await findUnique(this.dataSource.manager, {
      tenantId,
      requestedById,
      idempotencyKey: key,
      requestedAt: MoreThanOrEqual(since),
    });
    return row ? this.restore(row) : null;
  }

  /**
   * Inserts a new job under a transaction-scoped advisory lock on its requester: the active-job count and the
   * idempotency key are read and the job written while no other request of the same user can do the same.
   */
  async add(job: ExportJob, options: AddOptions): Promise<AddOutcome> {
    const columns = ExportJobMapper.toColumns(job);
    const { tenantId, requestedById, idempotencyKey } = columns;
    const outcome = await this.dataSource.transaction(async (manager): Promise<AddOutcome> => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `export-requester:${tenantId}:${requestedById}`,
      ]);
      if (idempotencyKey !== null) {
        const holder = await findUnique(manager, { tenantId, requestedById, idempotencyKey });
        if (holder && holder.requestedAt.getTime() >= options.idempotentSince.getTime())
          return { outcome: 'duplicate', existing: this.restore(holder) };
        // The key outlived its window: release it. The version bump makes a stale copy of that job fail its save.
        if (holder)
          await manager.query(
            'UPDATE export_jobs SET idempotency_key = NULL, version = version + 1, updated_at = now() WHERE id = $1',
            [holder.id],
          );
      }
      const retried = await this.retryFence(manager, columns.tenantId, columns.retryOf);
      if (retried) return { outcome: 'duplicate', existing: retried };
      const [{ active }] = await manager.query<{ active: number }[]>(
        `SELECT count(*)::int AS active FROM export_jobs
          WHERE tenant_id = $1 AND requested_by_id = $2 AND status IN ('queued', 'running')`,
        [tenantId, requestedById],
      );
      if (active >= options.maxActivePerRequester) return { outcome: 'too-many-active', active };
      await manager.insert(ExportJobOrmEntity, { ...columns, version: 1, updatedAt: new Date() });
      if (columns.retryOf !== null)
        await manager.query('UPDATE export_jobs SET retried_by_id = $3 WHERE tenant_id = $1 AND id = $2', [
          columns.tenantId,
          columns.retryOf,
          columns.id,
        ]);
      await insertAuditRows(manager, options.audit ?? []);
      return { outcome: 'added' };
    });
    if (outcome.outcome === 'added') {
      this.versions.set(job, 1);
      this.announce(job);
    }
    return outcome;
  }

  private announce(job: ExportJob): void {
    this.changes?.publish({ tenantId: job.tenantId, jobId: job.id });
  }

  /**
   * A retry locks the original's row until its transaction ends: a concurrent retry (of any requester, so the
   * requester lock does not cover it) waits here and then finds the job the first one made. The unique index on
   * `retried_by_id` backs it.
   */
  private async retryFence(
    manager: EntityManager,
    tenantId: string,
    retryOf: string | null,
  ): Promise<ExportJob | null> {
    if (retryOf === null) return null;
    const [original] = await manager.query<{ retried_by_id: string | null }[]>(
      'SELECT retried_by_id FROM export_jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [tenantId, retryOf],
    );
    if (!original?.retried_by_id) return null;
    const row = await findUnique(manager, { tenantId, id: original.retried_by_id });
    return row ? this.restore(row) : null;
  }

  private restore(row: ExportJobOrmEntity): ExportJob {
    const job = ExportJobMapper.toDomain(row);
    this.versions.set(job, row.version);
    return job;
  }
}

/**
 * The stall rule's clock on a full save: an attempt that has exported no row yet (a new one starting, or counting)
 * has no progress to be stalled on; a running attempt past its first row that saves (it enters the uploading or
 * finalizing stage) moved on. Any other save leaves the clock as it is.
 */
function progressClock(job: ExportJob): { progressChangedAt?: Date | null } {
  const { status, progress } = job.toSnapshot();
  if (progress.rowsExported === 0) return { progressChangedAt: null };
  if (status === 'running') return { progressChangedAt: new Date() };
  return {};
}

/**
 * The one row a unique key names (the id, or a requester's idempotency key), with its eager joins, in one query:
 * `findOne` would add `LIMIT 1`, which TypeORM answers with a second query once relations are joined.
 */
async function findUnique(
  manager: EntityManager,
  where: FindOptionsWhere<ExportJobOrmEntity>,
): Promise<ExportJobOrmEntity | null> {
  const rows = await manager.find(ExportJobOrmEntity, { where });
  return rows[0] ?? null;
}
