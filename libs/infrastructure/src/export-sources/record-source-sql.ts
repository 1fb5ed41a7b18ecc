import type { ExportColumn, ExportSourceDefinition } from '@app/domain';
import { RecordQueryBuilder, type RecordSourceSql } from './record-query-builder';
import type { ExportSourceSql } from './source-sql';

/** A source's file columns for a stored query: its definition's columns named by the query, in the query's order. */
export function columnsOf(definition: ExportSourceDefinition): ExportSourceSql['columns'] {
  const byKey = new Map(definition.columns.map((c) => [c.key, c]));
  return (query) =>
    query.columns.flatMap((key): ExportColumn[] => {
      const column = byKey.get(key);
      return column ? [column] : [];
    });
}

/** The ExportSourceSql of a record source: its definition's columns, its SQL through RecordQueryBuilder. */
export function recordSourceSql(definition: ExportSourceDefinition, sql: RecordSourceSql): ExportSourceSql {
  return {
    columns: columnsOf(definition),
    count: (request) => new RecordQueryBuilder(definition, sql, request).count(),
    copy: (request, format) => new RecordQueryBuilder(definition, sql, request).copySelect(format),
  };
}
