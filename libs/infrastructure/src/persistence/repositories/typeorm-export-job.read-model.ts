import {
  type ExportJobListFilter,
  type ExportJobListPage,
  ExportJobReadModel,
  type StoredFileRecord,
} from '@app/application';
import { isIsoDateTime, isUuid } from '@app/domain';
import type { DataSource } from 'typeorm';
import { ExportJobOrmEntity } from '../entities/export-job.orm-entity';
import { StoredFileOrmEntity } from '../entities/stored-file.orm-entity';
import { ExportJobMapper } from './export-job.mapper';
import { decodeCursor, encodeCursor } from './keyset-cursor';

/**
 * Job listings, newest first, paged by keyset over (requested_at, id) — the order of the export_jobs indexes.
 * Request times are written from JavaScript Dates, so their millisecond ISO text is exact.
 */
export class TypeormExportJobReadModel extends ExportJobReadModel {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage> {
    const query = this.dataSource
      .getRepository(ExportJobOrmEntity)
      .createQueryBuilder('j')
      .leftJoinAndSelect('j.requestedBy', 'u')
      .leftJoinAndSelect('j.file', 'f')
      .where('j.tenant_id = :tenantId', { tenantId });
    if (filter.requestedById !== null)
      query.andWhere('j.requested_by_id = :requestedById', { requestedById: filter.requestedById });
    if (filter.statuses.length > 0)
      query.andWhere('j.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.cursor !== null) {
      const [at, id] = decodeCursor('export-jobs', filter.cursor, [isIsoDateTime, isUuid]);
      query.andWhere('(j.requested_at, j.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', { at, id });
    }
    const rows = await query
      .orderBy('j.requested_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(filter.limit + 1)
      .getMany();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ExportJobMapper.toDomain(row).toSnapshot()),
      nextCursor:
        rows.length > filter.limit && last
          ? encodeCursor('export-jobs', [last.requestedAt.toISOString(), last.id])
          : null,
    };
  }

  async findFile(tenantId: string, fileId: string): Promise<StoredFileRecord | null> {
    const row = await this.dataSource
      .getRepository(StoredFileOrmEntity)
      .findOne({ where: { tenantId, id: fileId } });
    if (!row || row.deletedAt !== null) return null;
    return {
      id: row.id,
      tenantId: row.tenantId,
      name: row.name,
      contentType: row.contentType,
      sizeBytes: Number(row.sizeBytes),
      sha256: row.sha256,
      provider: row.provider,
      bucket: row.bucket,
      objectKey: row.objectKey,
    };
  }
}
