import type { ConditionOperator } from '@app/domain';
import type { SqlType } from './ticket-sql-fields';

/** The view grammar's operators that compare one value (or a list, or nothing) with a column's value. */
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
