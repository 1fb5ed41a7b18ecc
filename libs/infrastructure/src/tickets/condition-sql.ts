import { type ConditionOperator, isIsoDate } from '@app/domain';
import type { SqlType } from './ticket-sql-fields';

/**
 * The view grammar's condition SQL, shared by the ticket and record query builders.
 * SCALAR_OPERATORS: the operators that compare one value (or a list, or nothing) with a column's value.
 */
const SCALAR_OPERATORS = [
  'eq',
  'is',
  'neq',
  'is_not',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'is_empty',
  'is_not_empty',
  'is_any_of',
  'is_none_of',
] as const satisfies readonly ConditionOperator[];

export type ScalarOperator = (typeof SCALAR_OPERATORS)[number];

export function isScalarOperator(operator: ConditionOperator): operator is ScalarOperator {
  return (SCALAR_OPERATORS as readonly ConditionOperator[]).includes(operator);
}

/** How a condition's operands enter the SQL: each adds a bind parameter (or a setting) and returns its placeholder. */
export interface ScalarOperands {
  readonly value: () => string;
  readonly values: () => string;
  /** The condition's value as an ILIKE pattern, its LIKE metacharacters escaped, shaped by `pattern`. */
  readonly like: (pattern: (escaped: string) => string) => string;
}

/**
 * One scalar condition over expression `e` of SQL type `type`, with the semantics every source shares (CONTRACT §4):
 * negations keep rows whose value is NULL, text matching ignores case, an empty text is empty.
 */
export function scalarConditionSql(
  e: string,
  type: SqlType,
  operator: ScalarOperator,
  operands: ScalarOperands,
): string {
  const { value, values, like } = operands;
  switch (operator) {
    case 'eq':
    case 'is':
      return `${e} = ${value()}`;
    case 'neq':
    case 'is_not':
      return `${e} IS DISTINCT FROM ${value()}`;
    case 'contains':
      return `${e} ILIKE ${like((v) => `%${v}%`)}`;
    case 'not_contains':
      return `COALESCE(${e}, '') NOT ILIKE ${like((v) => `%${v}%`)}`;
    case 'starts_with':
      return `${e} ILIKE ${like((v) => `${v}%`)}`;
    case 'ends_with':
      return `${e} ILIKE ${like((v) => `%${v}`)}`;
    case 'is_empty':
      return type === 'text' ? `(${e} IS NULL OR ${e} = '')` : `${e} IS NULL`;
    case 'is_not_empty':
      return type === 'text' ? `(${e} IS NOT NULL AND ${e} <> '')` : `${e} IS NOT NULL`;
    case 'is_any_of':
      return `${e} = ANY(${values()})`;
    case 'is_none_of':
      return `(${e} IS NULL OR ${e} <> ALL(${values()}))`;
  }
}

/** Adds a bind parameter (or a setting) of `type` and returns its placeholder. */
export type AddParam = (value: unknown, type: SqlType) => string;

export type DateComparison = 'before' | 'on_or_before' | 'after' | 'on_or_after';

/**
 * A date comparison over timestamptz expression `e`. A date-only value (YYYY-MM-DD) names a whole day in `timezone`:
 * [start of the day, start of the next day); any other value is an instant.
 */
export function dateComparisonSql(
  e: string,
  operator: DateComparison,
  value: string,
  timezone: string,
  add: AddParam,
): string {
  if (!isIsoDate(value)) {
    const op = { before: '<', on_or_before: '<=', after: '>', on_or_after: '>=' }[operator];
    return `${e} ${op} ${add(value, 'timestamptz')}`;
  }
  const tz = add(timezone, 'text');
  const day = add(value, 'text');
  const start = `((${day})::date::timestamp AT TIME ZONE ${tz})`;
  const next = `(((${day})::date + 1)::timestamp AT TIME ZONE ${tz})`;
  const bound = {
    before: `< ${start}`,
    on_or_before: `< ${next}`,
    after: `>= ${next}`,
    on_or_after: `>= ${start}`,
  };
  return `${e} ${bound[operator]}`;
}

/** `within_past_days`: from `days` days before `now` up to `now`, both included. */
export function withinPastDaysSql(e: string, now: Date, days: unknown, add: AddParam): string {
  const at = add(now.toISOString(), 'timestamptz');
  return `(${e} >= ${at} - make_interval(days => ${add(days, 'integer')}) AND ${e} <= ${at})`;
}
