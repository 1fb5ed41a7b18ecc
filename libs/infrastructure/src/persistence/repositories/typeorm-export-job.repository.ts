import { ExportJobRepository } from '@app/application';
import { DomainError, type ExportJob } from '@app/domain';
import type { DataSource, Repository } from 'typeorm';
import { ExportJobOrmEntity } from '../entities/export-job.orm-entity';
import { ExportJobMapper } from './export-job.mapper';

export class ConcurrentUpdateError extends DomainError {
  constructor(id: string) {
    super(
      'EXPORT_JOB.CONCURRENT_UPDATE',
      `Export job ${id} was changed by someone else; reload it and try again.`,
    );
  }
}

/**
 * Versions of the jobs this repository handed out or saved, keyed by the aggregate instance: the aggregate stays
 * free of persistence fields, and an update only applies to the row version it was loaded from.
 */
export class TypeormExportJobRepository extends ExportJobRepository {
  private readonly rows: Repository<ExportJobOrmEntity>;
  private readonly versions = new WeakMap<ExportJob, number>();

  constructor(dataSource: DataSource) {
    super();
    this.rows = dataSource.getRepository(ExportJobOrmEntity);
  }

  async findById(tenantId: string, id: string): Promise<ExportJob | null> {
    const row = await this.rows.findOne({ where: { tenantId, id } });
    if (!row) return null;
    const job = ExportJobMapper.toDomain(row);
    this.versions.set(job, row.version);
    return job;
  }

  async save(job: ExportJob): Promise<void> {
    const columns = ExportJobMapper.toColumns(job);
    const version = this.versions.get(job);
    if (version === undefined) {
      await this.rows.insert({ ...columns, version: 1, updatedAt: new Date() });
      this.versions.set(job, 1);
      return;
    }
    const result = await this.rows.update(
      { id: columns.id, tenantId: columns.tenantId, version },
      { ...columns, version: version + 1, updatedAt: new Date() },
    );
    if (result.affected !== 1) throw new ConcurrentUpdateError(job.id);
    this.versions.set(job, version + 1);
  }
}
