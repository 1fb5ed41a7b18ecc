import { type AddOptions, type AddOutcome, ExportJobRepository, type SaveOptions } from '@app/application';
import { ConcurrentUpdateError, type ExportJob } from '@app/domain';
import { type DataSource, type EntityManager, type FindOptionsWhere, MoreThanOrEqual } from 'typeorm';
import { ExportJobOrmEntity } from '../entities/export-job.orm-entity';
import { StoredFileOrmEntity } from '../entities/stored-file.orm-entity';
import { insertAuditRows } from './audit-rows';
import { ExportJobMapper } from './export-job.mapper';

/**
 * Versions of the jobs this repository handed out or saved, keyed by the aggregate instance: the aggregate stays
 * free of persistence fields, and an update only applies to the row version it was loaded from.
 */
export class TypeormExportJobRepository extends ExportJobRepository {
  private readonly versions = new WeakMap<ExportJob, number>();

  constructor(private readonly dataSource: DataSource) {
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
          { ...columns, version: next, updatedAt: new Date() },
        );
        if (result.affected !== 1) throw new ConcurrentUpdateError(job.id);
      }
      await insertAuditRows(manager, options.audit ?? []);
    });
    this.versions.set(job, next);
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
      const [{ active }] = await manager.query<{ active: number }[]>(
        `SELECT count(*)::int AS active FROM export_jobs
          WHERE tenant_id = $1 AND requested_by_id = $2 AND status IN ('queued', 'running')`,
        [tenantId, requestedById],
      );
      if (active >= options.maxActivePerRequester) return { outcome: 'too-many-active', active };
      await manager.insert(ExportJobOrmEntity, { ...columns, version: 1, updatedAt: new Date() });
      await insertAuditRows(manager, options.audit ?? []);
      return { outcome: 'added' };
    });
    if (outcome.outcome === 'added') this.versions.set(job, 1);
    return outcome;
  }

  private restore(row: ExportJobOrmEntity): ExportJob {
    const job = ExportJobMapper.toDomain(row);
    this.versions.set(job, row.version);
    return job;
  }
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
