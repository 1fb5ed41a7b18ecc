import {
  type ExportFormat,
  type ExportSourceDefinition,
  type SourceCondition,
  type SourceQuery,
} from '@app/domain';
import { projectColumns } from '../export/export-projection';
import {
  type CompiledQuery,
  escapeLike,
  Params,
  settingsSetup,
  SettingParams,
  type SettingsQuery,
} from '../tickets/ticket-query-builder';
import {
  dateComparisonSql,
  isScalarOperator,
  scalarConditionSql,
  withinPastDaysSql,
} from '../tickets/condition-sql';
import type { SqlType } from '../tickets/ticket-sql-fields';
import type { SourceSqlRequest } from './source-sql';

/** A filter or sort expression of a record source and the type its values are cast to. */
export interface RecordFieldSql {
  readonly sql: string;
  readonly type: SqlType;
}

/** A column as SQL: its value, and its JSON value when that differs (export-projection.ts ProjectedColumn). */
export interface RecordColumnSql {
  readonly sql: string;
  readonly json?: string;
}

/**
 * The SQL of a source whose rows are one table's (joined to what it names): written once per source, every key
 * of its domain definition mapped (the Record types make a missing key a compile error in each source's file).
 */
export interface RecordSourceSql<
  C extends string = string,
  F extends string = string,
  S extends string = string,
> {
  /** `FROM ...` with its joins; the main table's alias is used by the expressions below. */
  readonly from: string;
  /** The tenant column: every query is scoped by it. */
  readonly tenantId: string;
  /** When the row came to exist: rows after the request's time are not exported (the snapshot rule). */
  readonly createdAt: string;
  /** A unique, non-null key: the tie-breaker of every order. */
  readonly id: RecordFieldSql;
  readonly columns: Readonly<Record<C, RecordColumnSql>>;
  readonly filters: Readonly<Record<F, RecordFieldSql>>;
  /** Sort expressions; each must be non-null (a record source sorts on required columns only). */
  readonly sorts: Readonly<Record<S, RecordFieldSql>>;
}

/**
 * Parameterized SQL for a record source's export: the tenant, the snapshot cutoff, the query's condition groups
 * (the view grammar, with the ticket builder's semantics: text compared exactly or, for contains and the like,
 * case-insensitively with `%`, `_`, `\` literal; a date-only value names that whole day in the job's zone) and its
 * order, tie-broken by the row's id. Values never enter the SQL text.
 */
export class RecordQueryBuilder {
  constructor(
    private readonly definition: ExportSourceDefinition,
    private readonly sql: RecordSourceSql,
    private readonly request: SourceSqlRequest,
  ) {}

  count(): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    return {
      text: `SELECT count(*)::bigint AS count ${this.sql.from}\n WHERE ${where}`,
      values: params.values,
    };
  }

  copySelect(format: ExportFormat): SettingsQuery {
    const params = new SettingParams();
    const where = this.where(params);
    const items = projectColumns(
      format,
      this.request.query.columns.map((key) => ({
        key,
        type: this.definition.columns.find((c) => c.key === key)?.type,
        ...this.mapped(this.sql.columns, key, 'column'),
      })),
    ).map((item) => `${item.sql} AS "${item.alias}"`);
    return {
      setup: settingsSetup(params.values),
      text: `SELECT ${items.join(', ')} ${this.sql.from}\n WHERE ${where}\n ORDER BY ${this.orderBy(this.request.query)}`,
    };
  }

  private mapped<T>(map: Readonly<Record<string, T>>, key: string, what: string): T {
    const found = map[key];
    if (found === undefined) throw new Error(`${this.definition.key} has no SQL for ${what} "${key}"`);
    return found;
  }

  private orderBy(query: SourceQuery): string {
    const levels = query.sort.map(
      (s) => `${this.mapped(this.sql.sorts, s.field, 'sort').sql} ${s.direction.toUpperCase()}`,
    );
    const last = query.sort.at(-1)?.direction ?? 'asc';
    return [...levels, `${this.sql.id.sql} ${last.toUpperCase()}`].join(', ');
  }

  private where(params: Params): string {
    const at = params.add(this.request.requestedAt.toISOString(), 'timestamptz');
    const where = [
      `${this.sql.tenantId} = ${params.add(this.request.tenantId, 'uuid')}`,
      `${this.sql.createdAt} <= ${at}`,
    ];
    for (const group of this.request.query.conditions) {
      const parts = group.and.map((c) => this.condition(c, params));
      if (group.or.length > 0) parts.push(`(${group.or.map((c) => this.condition(c, params)).join(' OR ')})`);
      if (parts.length > 0) where.push(`(${parts.join(' AND ')})`);
    }
    return where.join('\n   AND ');
  }

  private condition(c: SourceCondition, params: Params): string {
    const { sql: e, type } = this.mapped(this.sql.filters, c.field, 'filter');
    const value = (): string => params.add(c.value, type);
    const values = (): string => params.add(c.values ?? [], `${type}[]` as SqlType);
    const like = (pattern: (v: string) => string): string =>
      params.add(pattern(escapeLike(String(c.value))), 'text');
    if (isScalarOperator(c.operator)) return scalarConditionSql(e, type, c.operator, { value, values, like });
    switch (c.operator) {
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return `${e} ${{ gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.operator]} ${value()}`;
      case 'within_past_days':
        return withinPastDaysSql(e, this.request.requestedAt, c.value, (v, t) => params.add(v, t));
      case 'before':
      case 'after':
      case 'on_or_before':
      case 'on_or_after':
        return dateComparisonSql(e, c.operator, String(c.value), this.request.query.timezone, (v, t) =>
          params.add(v, t),
        );
    }
  }
}
