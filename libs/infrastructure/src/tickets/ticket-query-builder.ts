import { createHash } from 'node:crypto';
import {
  ME,
  type SortDirection,
  type TicketColumnKey,
  type TicketCondition,
  type TicketConditionGroup,
  type TicketFieldKey,
  type TicketQuery,
} from '@app/domain';
import { decodeCursor, encodeCursor } from '../persistence/repositories/keyset-cursor';
import { dateComparisonSql, isScalarOperator, scalarConditionSql, withinPastDaysSql } from './condition-sql';
import { columnSql, type SqlType, TICKET_FROM, TICKET_SQL_FIELDS } from './ticket-sql-fields';

export interface TicketQueryContext {
  readonly tenantId: string;
  /** The acting user: what `@me` means. */
  readonly me: string;
  /** Reference time of `within_past_days`. */
  readonly now: Date;
  /** Zone in which a date-only filter value (2026-01-31) names a day. */
  readonly timezone: string;
  /**
   * Export rule (CONTRACT §6): only tickets created at or before the cutoff that were not deleted, or were deleted
   * after it. Without a cutoff, the live list: tickets not deleted.
   */
  readonly cutoff?: Date;
}

export interface CompiledQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** One SELECT item: a trusted SQL expression (never user input) and the name it is read back under. */
export interface SelectItem {
  readonly alias: string;
  readonly sql: string;
}

interface SortKey {
  readonly sql: string;
  readonly type: SqlType;
  readonly direction: SortDirection;
}

/** The tickets of TICKET_FROM read from about `percent` % of the table's pages, chosen at random. */
function sampledFrom(percent: number): string {
  if (!(percent > 0 && percent <= 100)) throw new RangeError('percent must be in (0, 100]');
  // A number of ours, not input: the only value spelled into the SQL text.
  return TICKET_FROM.replace('FROM tickets t', `FROM tickets t TABLESAMPLE SYSTEM (${percent.toFixed(6)})`);
}

/** Collects positional parameters; values are never spliced into SQL text. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: SqlType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * Parameters for statements that take no bind parameters (COPY): each value becomes a transaction-local setting,
 * itself set through a bind parameter, and the statement reads it back with `current_setting(...)::type`. Values
 * still never enter the SQL text.
 */
export class SettingParams extends Params {
  override add(value: unknown, type: SqlType): string {
    this.values.push(toSettingText(value));
    return `current_setting('${SETTING_PREFIX}${this.values.length}')::${type}`;
  }
}

export const SETTING_PREFIX = 'export_query.p';

/** The statement that sets a COPY's parameters (already as setting text, in order) before the COPY reads them. */
export function settingsSetup(texts: readonly unknown[]): CompiledQuery {
  const calls = texts.map((_, i) => `set_config('${SETTING_PREFIX}${i + 1}', $${i + 1}, true)`);
  return { text: `SELECT ${calls.length > 0 ? calls.join(', ') : 'NULL'}`, values: [...texts] };
}

/** Text Postgres parses back into the parameter's type: arrays as array literals with every element quoted. */
export function toSettingText(value: unknown): string {
  if (Array.isArray(value))
    return `{${value.map((v) => `"${String(v).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new Error(`cannot pass ${typeof value} as a setting`);
}

/** A statement whose parameters travel as settings: run `setup` (with its bind values) in the same transaction first. */
export interface SettingsQuery {
  readonly setup: CompiledQuery;
  readonly text: string;
}

export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, '\\$&');

const NULL_SENTINEL: Readonly<Partial<Record<SqlType, string>>> = {
  text: "''",
  integer: '0',
  bigint: '0',
  timestamptz: "'-infinity'::timestamptz",
};

const TIMESTAMPTZ_TEXT =
  /^(\d{4,6})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-](\d{2})(?::[0-5]\d){0,2}$/;

/** A timestamptz as `::text` prints it (ISO DateStyle), with every field in the range Postgres accepts back. */
function isTimestamptzText(value: string): boolean {
  if (value === '-infinity') return true;
  const match = TIMESTAMPTZ_TEXT.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours] = match.slice(1).map(Number);
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  return (
    year >= 1 &&
    year <= 294275 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= lastDay.getUTCDate() &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 15
  );
}

/**
 * What a cursor key of each type may hold: exactly what the casts in the keyset predicate accept, so a tampered
 * cursor is a ValidationError, never a Postgres error (out of range, invalid byte sequence, ...).
 */
const CURSOR_VALUE: Readonly<Partial<Record<SqlType, (value: string) => boolean>>> = {
  bigint: (v) =>
    /^-?\d{1,19}$/.test(v) &&
    BigInt(v) >= -9_223_372_036_854_775_808n &&
    BigInt(v) <= 9_223_372_036_854_775_807n,
  integer: (v) => /^-?\d{1,10}$/.test(v) && Number(v) >= -2_147_483_648 && Number(v) <= 2_147_483_647,
  boolean: (v) => v === 'true' || v === 'false',
  timestamptz: isTimestamptzText,
  text: (v) => !v.includes('\u0000'),
};

/**
 * The one ticket query builder: turns a TicketQuery (a view plus its refinements) into parameterized SQL for the
 * on-screen list, the export reader and counts alike, and pages by keyset over the full sort tuple plus id.
 *
 * Nulls sort last in both directions: a nullable sort field becomes two keys, `(expr IS NULL)` ascending and
 * `COALESCE(expr, sentinel)` in the requested direction, so every key compared in the keyset predicate is non-null.
 */
export class TicketQueryBuilder {
  private readonly sortKeys: readonly SortKey[];

  constructor(
    private readonly query: TicketQuery,
    private readonly context: TicketQueryContext,
  ) {
    this.sortKeys = TicketQueryBuilder.sortKeysOf(query);
  }

  /** The list projection: `id` plus every column of the query, typed (Dates, arrays, strings). */
  listSelect(): SelectItem[] {
    const keys: TicketColumnKey[] = ['id', ...this.query.columns.filter((c) => c !== 'id')];
    return keys.map((key) => ({ alias: key, sql: columnSql(key) }));
  }

  /** Rows in order, optionally after a cursor and limited; `_k0.._kn` carry the sort keys for the next cursor. */
  select(
    options: { select?: readonly SelectItem[]; after?: string | null; limit?: number } = {},
  ): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    if (options.after) where.push(this.keysetPredicate(this.decodeCursor(options.after), params));
    const items = [...(options.select ?? this.listSelect())].map((item) => `${item.sql} AS "${item.alias}"`);
    this.sortKeys.forEach((key, i) => items.push(`(${key.sql})::text AS "_k${i}"`));
    const limit = options.limit === undefined ? '' : `\n LIMIT ${params.add(options.limit, 'integer')}`;
    return {
      text: `SELECT ${items.join(', ')}${TICKET_FROM}\n WHERE ${where.join('\n   AND ')}\n ORDER BY ${this.orderBy()}${limit}`,
      values: params.values,
    };
  }

  /**
   * The whole ordered result for COPY: no cursor, no limit, no sort-key columns, and parameters passed as
   * transaction-local settings (COPY accepts no bind parameters).
   */
  copySelect(select: readonly SelectItem[]): SettingsQuery {
    const params = new SettingParams();
    const where = this.where(params);
    const items = select.map((item) => `${item.sql} AS "${item.alias}"`);
    return {
      setup: settingsSetup(params.values),
      text: `SELECT ${items.join(', ')}${TICKET_FROM}\n WHERE ${where.join('\n   AND ')}\n ORDER BY ${this.orderBy()}`,
    };
  }

  /**
   * The ids of matching rows in no particular order, optionally at most `limit`: the first ones a scan meets, which
   * is cheap where an ordered page would sort every match. For estimates (a sample, the planner's row count) only:
   * a list or an export always has an order.
   */
  unorderedIds(limit?: number): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    const cap = limit === undefined ? '' : `\n LIMIT ${params.add(limit, 'integer')}`;
    return {
      text: `SELECT t.id::text AS id${TICKET_FROM}\n WHERE ${where.join('\n   AND ')}${cap}`,
      values: params.values,
    };
  }

  /**
   * Up to `limit` ids of matching rows drawn at random from a sample of the table's pages (TABLESAMPLE SYSTEM, about
   * `percent` % of them): rows from all over the table, at the cost of reading only those pages. For estimates only.
   */
  sampledIds(percent: number, limit: number): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    return {
      text: `SELECT t.id::text AS id${sampledFrom(percent)}\n WHERE ${where.join('\n   AND ')}\n ORDER BY random()\n LIMIT ${params.add(limit, 'integer')}`,
      values: params.values,
    };
  }

  /**
   * One aggregate `expression` (trusted SQL, never input) over the matching rows, read as `value`; with `percent`,
   * over a random sample of the table's pages only (TABLESAMPLE SYSTEM). For estimates.
   */
  aggregate(expression: string, percent?: number): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    const from = percent === undefined || percent >= 100 ? TICKET_FROM : sampledFrom(percent);
    return {
      text: `SELECT ${expression} AS value${from}\n WHERE ${where.join('\n   AND ')}`,
      values: params.values,
    };
  }

  count(): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    return {
      text: `SELECT count(*)::bigint AS count${TICKET_FROM}\n WHERE ${where.join('\n   AND ')}`,
      values: params.values,
    };
  }

  /** The rows, counted up to `atMost`: the scan stops there, so a big result costs no more than `atMost` rows. */
  countAtMost(atMost: number): CompiledQuery {
    const params = new Params();
    const where = this.where(params);
    const limit = params.add(atMost, 'integer');
    return {
      text: `SELECT count(*)::bigint AS count FROM (SELECT 1${TICKET_FROM}\n WHERE ${where.join('\n   AND ')}\n LIMIT ${limit}) AS capped`,
      values: params.values,
    };
  }

  /** The cursor that continues after `row` (a row returned by `select`). */
  cursorAfter(row: Readonly<Record<string, unknown>>): string {
    const keys = this.sortKeys.map((_, i) => row[`_k${i}`]);
    if (!keys.every((k): k is string => typeof k === 'string'))
      throw new Error('row was not produced by this builder');
    return encodeCursor(this.signature(), keys);
  }

  private static sortKeysOf(query: TicketQuery): SortKey[] {
    const keys: SortKey[] = [];
    for (const level of query.sort) {
      const field = TICKET_SQL_FIELDS[level.field];
      if (field.sort === undefined || field.sortType === undefined)
        throw new Error(`Field "${level.field}" is not sortable`);
      if (field.nullable) {
        keys.push({ sql: `(${field.sort} IS NULL)`, type: 'boolean', direction: 'asc' });
        keys.push({
          sql: `COALESCE(${field.sort}, ${NULL_SENTINEL[field.sortType]})`,
          type: field.sortType,
          direction: level.direction,
        });
      } else {
        keys.push({ sql: field.sort, type: field.sortType, direction: level.direction });
      }
    }
    if (!query.sort.some((s) => s.field === 'id')) {
      keys.push({ sql: 't.id', type: 'bigint', direction: query.sort.at(-1)?.direction ?? 'asc' });
    }
    return keys;
  }

  private orderBy(): string {
    return this.sortKeys.map((k) => `${k.sql} ${k.direction.toUpperCase()}`).join(', ');
  }

  private where(params: Params): string[] {
    const { tenantId, cutoff } = this.context;
    const where = [`t.tenant_id = ${params.add(tenantId, 'uuid')}`];
    if (cutoff) {
      const at = params.add(cutoff.toISOString(), 'timestamptz');
      where.push(`t.creation_time <= ${at}`, `(t.deleted_at IS NULL OR t.deleted_at > ${at})`);
    } else {
      where.push('t.deleted_at IS NULL');
    }
    for (const group of this.query.conditions) {
      const sql = this.group(group, params);
      if (sql) where.push(sql);
    }
    if (this.query.search) where.push(this.search(this.query.search, params));
    // A selection narrows the rows, never their order: ids not in the view, or not visible, simply drop out.
    if (this.query.ticketIds) where.push(`t.id = ANY(${params.add(this.query.ticketIds, 'bigint[]')})`);
    return where;
  }

  private group(group: TicketConditionGroup, params: Params): string | null {
    const parts = group.and.map((c) => this.condition(c, params));
    if (group.or.length > 0) parts.push(`(${group.or.map((c) => this.condition(c, params)).join(' OR ')})`);
    return parts.length === 0 ? null : `(${parts.join(' AND ')})`;
  }

  private search(term: string, params: Params): string {
    const pattern = params.add(`%${escapeLike(term)}%`, 'text');
    const matches = [
      `t.title ILIKE ${pattern}`,
      `t.description ILIKE ${pattern}`,
      `ct.name ILIKE ${pattern}`,
      `ct.email ILIKE ${pattern}`,
    ];
    const id = term.replace(/^#/, '');
    if (/^\d{1,18}$/.test(id)) matches.push(`t.id = ${params.add(id, 'bigint')}`);
    return `(${matches.join(' OR ')})`;
  }

  private condition(c: TicketCondition, params: Params): string {
    const field = TICKET_SQL_FIELDS[c.field];
    const e = field.filter;
    const type = field.filterType;
    if (type === 'text[]') return this.tagCondition(e, c, params);
    if (type === 'timestamptz') return this.dateCondition(e, c, params);
    const value = (): string => params.add(this.resolve(c.field, c.value), type);
    const values = (): string =>
      params.add(
        (c.values ?? []).map((v) => this.resolve(c.field, v)),
        `${type}[]` as SqlType,
      );
    const like = (pattern: (v: string) => string): string =>
      params.add(pattern(escapeLike(String(c.value))), 'text');
    if (isScalarOperator(c.operator)) return scalarConditionSql(e, type, c.operator, { value, values, like });
    switch (c.operator) {
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return this.comparison(c, params);
      case 'before':
      case 'after':
      case 'on_or_before':
      case 'on_or_after':
      case 'within_past_days':
        throw new Error(`operator ${c.operator} applies to dates only`);
    }
  }

  private comparison(c: TicketCondition, params: Params): string {
    const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.operator as 'gt' | 'gte' | 'lt' | 'lte'];
    if (c.field === 'priority') {
      const key = params.add(String(c.value), 'text');
      const tenant = params.add(this.context.tenantId, 'uuid');
      return `pr.sort_order ${op} (SELECT p.sort_order FROM ticket_priorities p WHERE p.tenant_id = ${tenant} AND p.key = ${key})`;
    }
    const field = TICKET_SQL_FIELDS[c.field];
    return `${field.filter} ${op} ${params.add(c.value, field.filterType)}`;
  }

  private dateCondition(e: string, c: TicketCondition, params: Params): string {
    switch (c.operator) {
      case 'is_empty':
        return `${e} IS NULL`;
      case 'is_not_empty':
        return `${e} IS NOT NULL`;
      case 'within_past_days':
        return withinPastDaysSql(e, this.context.now, c.value, (v, t) => params.add(v, t));
      case 'before':
      case 'on_or_before':
      case 'after':
      case 'on_or_after':
        return dateComparisonSql(e, c.operator, String(c.value), this.context.timezone, (v, t) =>
          params.add(v, t),
        );
      case 'eq':
      case 'neq':
      case 'contains':
      case 'not_contains':
      case 'starts_with':
      case 'ends_with':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
      case 'is':
      case 'is_not':
      case 'is_any_of':
      case 'is_none_of':
        throw new Error(`operator ${c.operator} does not apply to dates`);
    }
  }

  private tagCondition(e: string, c: TicketCondition, params: Params): string {
    const one = (): string => `ARRAY[${params.add(String(c.value), 'text')}]`;
    const many = (): string => params.add(c.values ?? [], 'text[]');
    switch (c.operator) {
      case 'is':
        return `${e} @> ${one()}`;
      case 'is_not':
        return `NOT (${e} @> ${one()})`;
      case 'is_any_of':
        return `${e} && ${many()}`;
      case 'is_none_of':
        return `NOT (${e} && ${many()})`;
      case 'is_empty':
        return `cardinality(${e}) = 0`;
      case 'eq':
      case 'neq':
      case 'contains':
      case 'not_contains':
      case 'starts_with':
      case 'ends_with':
      case 'is_not_empty':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
      case 'before':
      case 'after':
      case 'on_or_before':
      case 'on_or_after':
      case 'within_past_days':
        throw new Error(`operator ${c.operator} does not apply to tags`);
    }
  }

  /** `@me` stands for the acting user in an assignee condition only; anywhere else it is plain text. */
  private resolve(field: TicketFieldKey, value: unknown): unknown {
    return field === 'assignee' && value === ME ? this.context.me : value;
  }

  /** After (v1..vn): the first key past v1, or equal on it and past v2, ...; one row comparison when all keys agree in direction. */
  private keysetPredicate(values: readonly string[], params: Params): string {
    const placeholders = this.sortKeys.map((k, i) => params.add(values[i], k.type));
    const direction = this.sortKeys[0].direction;
    if (this.sortKeys.every((k) => k.direction === direction)) {
      const op = direction === 'asc' ? '>' : '<';
      return `(${this.sortKeys.map((k) => k.sql).join(', ')}) ${op} (${placeholders.join(', ')})`;
    }
    const branches = this.sortKeys.map((key, i) => {
      const equal = this.sortKeys.slice(0, i).map((k, j) => `${k.sql} = ${placeholders[j]}`);
      return [...equal, `${key.sql} ${key.direction === 'asc' ? '>' : '<'} ${placeholders[i]}`].join(' AND ');
    });
    return `((${branches.join(') OR (')}))`;
  }

  /** Binds a cursor to the sort it was made for, without revealing SQL. */
  private signature(): string {
    const sort = this.sortKeys.map((k) => `${k.sql}:${k.direction}`).join('|');
    return createHash('sha256').update(sort).digest('base64url').slice(0, 12);
  }

  private decodeCursor(cursor: string): string[] {
    return decodeCursor(
      this.signature(),
      cursor,
      this.sortKeys.map((k) => CURSOR_VALUE[k.type] ?? (() => true)),
    );
  }
}
