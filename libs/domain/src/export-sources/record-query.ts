import { type FieldError, ValidationError } from '../errors/domain-error';
import {
  type ConditionOperator,
  isIsoDate,
  isIsoDateTime,
  TICKET_QUERY_LIMITS,
} from '../tickets/ticket-query';
import type {
  ExportColumn,
  SourceCondition,
  SourceConditionGroup,
  SourceFilterField,
  SourceQuery,
  SourceRefinement,
  SourceSort,
} from './export-source-definition';

/**
 * What a source other than tickets declares for its requests: its columns, filter fields and sortable fields. Such
 * a source has no views, no search and no ticket selection.
 */
export interface RecordSourceShape {
  readonly key: string;
  readonly columns: readonly ExportColumn[];
  readonly defaultColumns: readonly string[];
  readonly filterFields: readonly SourceFilterField[];
  readonly sortFields: readonly string[];
  readonly defaultSort: readonly SourceSort[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const BIGINT = /^-?\d{1,18}$/;

/**
 * Parses a request for a record source with the view condition grammar of tickets (CONTRACT §4: `{and, or}` groups
 * of `{field, operator, value?, values?}`, the same operator names, value shapes and limits), against the fields
 * the source declares. A field of another source is an unknown field of this one: a 400 naming it.
 */
export function parseRecordQuery(shape: RecordSourceShape, input: SourceRefinement): SourceQuery {
  const errors: FieldError[] = [];
  const add = (field: string, message: string): void => {
    errors.push({ field, message });
  };
  const notHere = `does not apply to the ${shape.key} source`;
  if (input.viewId !== undefined && input.viewId !== null) add('viewId', `${notHere}; views are of tickets`);
  if (input.search !== undefined && input.search !== null) add('search', notHere);
  if (input.ticketIds !== undefined && input.ticketIds !== null) add('ticketIds', notHere);
  const columns = input.columns == null ? shape.defaultColumns : parseColumns(shape, input.columns, add);
  const sort = input.sort == null ? shape.defaultSort : parseSort(shape, input.sort, add);
  const group = input.filters == null ? undefined : parseGroup(shape, input.filters, add);
  if (errors.length > 0) throw new ValidationError(errors);
  return {
    columns,
    conditions: group && group.and.length + group.or.length > 0 ? [group] : [],
    sort: sort.length > 0 ? sort : shape.defaultSort,
    search: null,
  };
}

type Add = (field: string, message: string) => void;

function parseColumns(shape: RecordSourceShape, input: readonly unknown[], add: Add): string[] {
  if (input.length < 1 || input.length > TICKET_QUERY_LIMITS.maxColumns) {
    add('columns', `must hold 1 to ${TICKET_QUERY_LIMITS.maxColumns} column keys`);
    return [];
  }
  const known = new Set(shape.columns.map((c) => c.key));
  const seen = new Set<string>();
  input.forEach((key, i) => {
    if (typeof key !== 'string' || !known.has(key))
      add(`columns[${i}]`, `unknown column ${JSON.stringify(key)} of source "${shape.key}"`);
    else if (seen.has(key)) add(`columns[${i}]`, `duplicate column "${key}"`);
    else seen.add(key);
  });
  return [...seen];
}

function parseSort(shape: RecordSourceShape, input: readonly unknown[], add: Add): SourceSort[] {
  if (input.length > TICKET_QUERY_LIMITS.maxSortLevels) {
    add('sort', `must hold at most ${TICKET_QUERY_LIMITS.maxSortLevels} sort levels`);
    return [];
  }
  const levels: SourceSort[] = [];
  input.forEach((level, i) => {
    const at = `sort[${i}]`;
    if (!isRecord(level)) return add(at, 'must be an object { field, direction }');
    const { field, direction = 'asc' } = level;
    if (typeof field !== 'string' || !shape.sortFields.includes(field))
      return add(
        `${at}.field`,
        `unknown sort field ${JSON.stringify(field)}; use one of ${shape.sortFields.join(', ')}`,
      );
    if (levels.some((l) => l.field === field)) return add(`${at}.field`, `duplicate sort field "${field}"`);
    if (direction !== 'asc' && direction !== 'desc') return add(`${at}.direction`, 'must be "asc" or "desc"');
    levels.push({ field, direction });
  });
  return levels;
}

function parseGroup(
  shape: RecordSourceShape,
  input: Readonly<Record<string, unknown>>,
  add: Add,
): SourceConditionGroup {
  for (const key of Object.keys(input))
    if (key !== 'and' && key !== 'or') add(`filters.${key}`, 'is not allowed; use "and" and "or"');
  return {
    and: parseList(shape, input.and, 'filters.and', add),
    or: parseList(shape, input.or, 'filters.or', add),
  };
}

function parseList(shape: RecordSourceShape, input: unknown, path: string, add: Add): SourceCondition[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    add(path, 'must be an array of conditions');
    return [];
  }
  if (input.length > TICKET_QUERY_LIMITS.maxConditionsPerGroup) {
    add(path, `must hold at most ${TICKET_QUERY_LIMITS.maxConditionsPerGroup} conditions`);
    return [];
  }
  return input.flatMap((c: unknown, i) => parseCondition(shape, c, `${path}[${i}]`, add) ?? []);
}

function parseCondition(
  shape: RecordSourceShape,
  input: unknown,
  path: string,
  add: Add,
): SourceCondition | undefined {
  if (!isRecord(input)) {
    add(path, 'must be an object { field, operator, value?, values? }');
    return undefined;
  }
  const { field, operator, value, values } = input;
  const definition = shape.filterFields.find((f) => f.key === field);
  if (!definition) {
    const fields = shape.filterFields.map((f) => f.key).join(', ');
    add(
      `${path}.field`,
      `unknown field ${JSON.stringify(field)} of source "${shape.key}"; use one of ${fields}`,
    );
    return undefined;
  }
  const op = definition.operators.find((o) => o === operator);
  if (op === undefined) {
    add(
      `${path}.operator`,
      `unknown operator ${JSON.stringify(operator)} for field "${definition.key}"; use one of ${definition.operators.join(', ')}`,
    );
    return undefined;
  }
  if (op === 'is_empty' || op === 'is_not_empty') return { field: definition.key, operator: op };
  if (op === 'is_any_of' || op === 'is_none_of') {
    if (!Array.isArray(values) || values.length < 1 || values.length > TICKET_QUERY_LIMITS.maxValues) {
      add(`${path}.values`, `must be an array of 1 to ${TICKET_QUERY_LIMITS.maxValues} values`);
      return undefined;
    }
    const parsed = values.map((v: unknown, i) => parseValue(definition, op, v, `${path}.values[${i}]`, add));
    return parsed.every((v) => v !== undefined)
      ? { field: definition.key, operator: op, values: parsed.map(String) }
      : undefined;
  }
  const parsed = parseValue(definition, op, value, `${path}.value`, add);
  return parsed === undefined ? undefined : { field: definition.key, operator: op, value: parsed };
}

/** The value shapes of the ticket grammar: integers, ISO dates or date-times, whole days, bounded strings. */
function parseValue(
  field: SourceFilterField,
  operator: ConditionOperator,
  value: unknown,
  path: string,
  add: Add,
): string | number | undefined {
  if (field.type === 'number') {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text === 'string' && BIGINT.test(text))
      return Number.isSafeInteger(Number(text)) ? Number(text) : text;
    add(path, 'must be an integer');
    return undefined;
  }
  if (operator === 'within_past_days') {
    if (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= 1 &&
      value <= TICKET_QUERY_LIMITS.maxPastDays
    )
      return value;
    add(path, `must be a whole number of days from 1 to ${TICKET_QUERY_LIMITS.maxPastDays}`);
    return undefined;
  }
  if (typeof value !== 'string') add(path, 'must be a string');
  else if (value.length > TICKET_QUERY_LIMITS.maxValueLength)
    add(path, `must be at most ${TICKET_QUERY_LIMITS.maxValueLength} characters`);
  else if (field.type === 'date' && !isIsoDate(value) && !isIsoDateTime(value))
    add(path, 'must be an ISO 8601 date (2026-01-31) or date-time with offset (2026-01-31T08:00:00Z)');
  else if (field.values !== undefined && !field.values.includes(value))
    add(path, `must be one of ${field.values.map((v) => JSON.stringify(v)).join(', ')}`);
  else return value;
  return undefined;
}
