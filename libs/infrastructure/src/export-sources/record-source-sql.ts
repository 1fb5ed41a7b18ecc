import type { ExportColumn, ExportSourceDefinition } from '@app/domain';
import { RecordQueryBuilder, type RecordSourceSql } from './record-query-builder';
import type { ExportSourceSql } from './source-sql';

/** The ExportSourceSql of a record source: its definition's columns, its SQL through RecordQueryBuilder. */
export function recordSourceSql(definition: ExportSourceDefinition, sql: RecordSourceSql): ExportSourceSql {
  const byKey = new Map(definition.columns.map((c) => [c.key, c]));
  return {
    columns: (query) =>
      query.columns.flatMap((key): ExportColumn[] => {
        const column = byKey.get(key);
        return column ? [column] : [];
      }),
    count: (request) => new RecordQueryBuilder(definition, sql, request).count(),
    copy: (request, format) => new RecordQueryBuilder(definition, sql, request).copySelect(format),
  };
}
