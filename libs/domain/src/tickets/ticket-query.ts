import { type FieldError, ValidationError } from '../errors/domain-error';
import type { SourceCondition, SourceQuery } from '../export-sources/export-source-definition';
import {
  DEFAULT_TICKET_COLUMNS,
  findTicketField,
  isTicketColumnKey,
  type TicketColumnKey,
  type TicketFieldKey,
  type TicketFieldType,
} from './ticket-fields';

export const CONDITION_OPERATORS = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'is_empty',
  'is_not_empty',
  'gt',
  'gte',
  'lt',
  'lte',
  'before',
  'after',
  'on_or_before',
  'on_or_after',
  'within_past_days',
  'is',
  'is_not',
  'is_any_of',
  'is_none_of',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export const OPERATORS_BY_TYPE: Readonly<Record<TicketFieldType, readonly ConditionOperator[]>> = {
  text: ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'is_empty', 'is_not_empty'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'],
  date: ['before', 'after', 'on_or_before', 'on_or_after', 'within_past_days', 'is_empty', 'is_not_empty'],
  choice: ['is', 'is_not', 'is_any_of', 'is_none_of', 'is_empty'],
  tags: ['is', 'is_not', 'is_any_of', 'is_none_of', 'is_empty'],
};

/** Priority is a choice with an order: it also compares by the priorities' sort order. */
const PRIORITY_ORDER_OPERATORS: readonly ConditionOperator[] = ['gt', 'gte', 'lt', 'lte'];

export function operatorsFor(field: TicketFieldKey): readonly ConditionOperator[] {
  const definition = findTicketField(field);
  if (!definition) return [];
  const base = OPERATORS_BY_TYPE[definition.type];
  return field === 'priority' ? [...base, ...PRIORITY_ORDER_OPERATORS] : base;
}

/** The value that stands for the acting user in an `assignee` condition. */
export const ME = '@me';

export interface TicketCondition {
  readonly field: TicketFieldKey;
  readonly operator: ConditionOperator;
  /** string for text, choice, tags and dates (ISO 8601); number for ids and within_past_days. */
  readonly value?: string | number;
  readonly values?: readonly string[];
}

/** Matches when every `and` holds and (`or` is empty or any `or` holds). */
export interface TicketConditionGroup {
  readonly and: readonly TicketCondition[];
  readonly or: readonly TicketCondition[];
}

export type SortDirection = 'asc' | 'desc';

export interface TicketSort {
  readonly field: TicketFieldKey;
  readonly direction: SortDirection;
}

/**
 * What rows a ticket list holds and in which order. `conditions` is a list of groups that must all match: a
 * view's own conditions and the ad-hoc filters of a request are two groups, never merged.
 */
export interface TicketQuery {
  readonly columns: readonly TicketColumnKey[];
  readonly conditions: readonly TicketConditionGroup[];
  readonly sort: readonly TicketSort[];
  readonly search: string | null;
  /**
   * Only these tickets (a selection), ANDed with everything else; the order stays the query's. Absent: no such
   * restriction. Stored with an export's query, so a retry exports the same selection.
   */
  readonly ticketIds?: readonly number[];
}

/**
 * The query with every `@me` of an assignee condition replaced by `userId`. An export stores its query resolved
 * for its requester when it is requested, so whoever runs it (a worker, a retry by an admin) exports the same rows.
 */
export function resolveMe<Q extends SourceQuery>(query: Q, userId: string): Q {
  const resolve = <C extends SourceCondition>(c: C): C =>
    c.field !== 'assignee'
      ? c
      : {
          ...c,
          ...(c.value === ME ? { value: userId } : {}),
          ...(c.values ? { values: c.values.map((v) => (v === ME ? userId : v)) } : {}),
        };
  return {
    ...query,
    conditions: query.conditions.map((g) => ({ and: g.and.map(resolve), or: g.or.map(resolve) })),
  };
}

export const TICKET_QUERY_LIMITS = {
  maxColumns: 50,
  maxConditionsPerGroup: 50,
  maxSortLevels: 3,
  maxSearchLength: 200,
  maxValueLength: 1000,
  maxValues: 100,
  maxPastDays: 36_500,
  maxTicketIds: 10_000,
} as const;

export const DEFAULT_TICKET_SORT: readonly TicketSort[] = [{ field: 'creationTime', direction: 'desc' }];

/** All tickets, default columns, newest first: an export without a view. */
export const DEFAULT_TICKET_QUERY: TicketQuery = {
  columns: DEFAULT_TICKET_COLUMNS,
  conditions: [],
  sort: DEFAULT_TICKET_SORT,
  search: null,
};

// Postgres has no year 0 and takes UTC offsets up to 15:59: anything else would fail in the database, not here.
const ISO_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-](0\d|1[0-5]):\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIGINT = /^-?\d{1,18}$/;

export function isIsoDate(value: string): boolean {
  return (
    ISO_DATE.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  );
}

export function isIsoDateTime(value: string): boolean {
  return ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) && isIsoDate(value.slice(0, 10));
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects field errors while the parsers below walk an untrusted input. */
class Problems {
  readonly list: FieldError[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  get any(): boolean {
    return this.list.length > 0;
  }
}

function parseColumns(input: unknown, path: string, problems: Problems): TicketColumnKey[] | undefined {
  if (!Array.isArray(input)) {
    problems.add(path, 'must be an array of column keys');
    return undefined;
  }
  if (input.length < 1 || input.length > TICKET_QUERY_LIMITS.maxColumns) {
    problems.add(path, `must hold 1 to ${TICKET_QUERY_LIMITS.maxColumns} column keys`);
    return undefined;
  }
  const seen = new Set<string>();
  input.forEach((key: unknown, i) => {
    if (!isTicketColumnKey(key)) problems.add(`${path}[${i}]`, `unknown column ${JSON.stringify(key)}`);
    else if (seen.has(key)) problems.add(`${path}[${i}]`, `duplicate column "${key}"`);
    else seen.add(key);
  });
  return [...seen] as TicketColumnKey[];
}

function parseString(value: unknown, path: string, problems: Problems): string | undefined {
  if (typeof value !== 'string') problems.add(path, 'must be a string');
  else if (value.length > TICKET_QUERY_LIMITS.maxValueLength)
    problems.add(path, `must be at most ${TICKET_QUERY_LIMITS.maxValueLength} characters`);
  else return value;
  return undefined;
}

function parseValue(
  field: TicketFieldKey,
  type: TicketFieldType,
  operator: ConditionOperator,
  value: unknown,
  path: string,
  problems: Problems,
): string | number | undefined {
  if (type === 'number') {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || !BIGINT.test(text)) problems.add(path, 'must be an integer');
    // Beyond 2^53 a JS number is no longer that integer: keep the digits (Postgres reads them as bigint).
    else return Number.isSafeInteger(Number(text)) ? Number(text) : text;
    return undefined;
  }
  if (operator === 'within_past_days') {
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < 1 ||
      value > TICKET_QUERY_LIMITS.maxPastDays
    )
      problems.add(path, `must be a whole number of days from 1 to ${TICKET_QUERY_LIMITS.maxPastDays}`);
    else return value;
    return undefined;
  }
  const text = parseString(value, path, problems);
  if (text === undefined) return undefined;
  if (type === 'date' && !isIsoDate(text) && !isIsoDateTime(text)) {
    problems.add(
      path,
      'must be an ISO 8601 date (2026-01-31) or date-time with offset (2026-01-31T08:00:00Z)',
    );
    return undefined;
  }
  if (!isChoiceValue(field, text)) {
    problems.add(path, choiceValueHint(field));
    return undefined;
  }
  return text;
}

/** Fields whose values have a fixed shape; every other field takes any string. */
const VALUE_SHAPES: Readonly<
  Partial<Record<TicketFieldKey, { accepts: (value: string) => boolean; hint: string }>>
> = {
  statusType: { accepts: (v) => v === 'open' || v === 'closed', hint: 'must be "open" or "closed"' },
  assignee: { accepts: (v) => v === ME || isUuid(v), hint: `must be a user id or "${ME}"` },
  team: { accepts: isUuid, hint: 'must be a team id' },
};

function isChoiceValue(field: TicketFieldKey, value: string): boolean {
  return VALUE_SHAPES[field]?.accepts(value) ?? true;
}

function choiceValueHint(field: TicketFieldKey): string {
  return VALUE_SHAPES[field]?.hint ?? 'is not a valid value';
}

function parseCondition(input: unknown, path: string, problems: Problems): TicketCondition | undefined {
  if (!isRecord(input)) {
    problems.add(path, 'must be an object { field, operator, value?, values? }');
    return undefined;
  }
  const { field, operator, value, values } = input;
  const definition = typeof field === 'string' ? findTicketField(field) : undefined;
  if (!definition || !definition.filterable) {
    problems.add(`${path}.field`, `unknown field ${JSON.stringify(field)}`);
    return undefined;
  }
  const key = definition.key as TicketFieldKey;
  const allowed = operatorsFor(key);
  if (typeof operator !== 'string' || !allowed.includes(operator as ConditionOperator)) {
    problems.add(
      `${path}.operator`,
      `unknown operator ${JSON.stringify(operator)} for field "${key}"; use one of ${allowed.join(', ')}`,
    );
    return undefined;
  }
  const op = operator as ConditionOperator;
  if (op === 'is_empty' || op === 'is_not_empty') return { field: key, operator: op };
  if (op === 'is_any_of' || op === 'is_none_of') {
    if (!Array.isArray(values) || values.length < 1 || values.length > TICKET_QUERY_LIMITS.maxValues) {
      problems.add(`${path}.values`, `must be an array of 1 to ${TICKET_QUERY_LIMITS.maxValues} values`);
      return undefined;
    }
    const before = problems.list.length;
    const parsed = values.map((v, i) =>
      parseValue(key, definition.type, op, v, `${path}.values[${i}]`, problems),
    );
    return problems.list.length === before
      ? { field: key, operator: op, values: parsed as string[] }
      : undefined;
  }
  // Comparing a priority by order takes a priority key, a string, whatever the field's base type says.
  const parsed = parseValue(key, definition.type, op, value, `${path}.value`, problems);
  return parsed === undefined ? undefined : { field: key, operator: op, value: parsed };
}

function parseConditionList(input: unknown, path: string, problems: Problems): TicketCondition[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    problems.add(path, 'must be an array of conditions');
    return [];
  }
  if (input.length > TICKET_QUERY_LIMITS.maxConditionsPerGroup) {
    problems.add(path, `must hold at most ${TICKET_QUERY_LIMITS.maxConditionsPerGroup} conditions`);
    return [];
  }
  return input.flatMap((c, i) => parseCondition(c, `${path}[${i}]`, problems) ?? []);
}

function parseConditionGroup(
  input: unknown,
  path: string,
  problems: Problems,
): TicketConditionGroup | undefined {
  if (input === undefined || input === null) return undefined;
  if (!isRecord(input)) {
    problems.add(path, 'must be an object { and: [...], or: [...] }');
    return undefined;
  }
  for (const key of Object.keys(input))
    if (key !== 'and' && key !== 'or') problems.add(`${path}.${key}`, 'is not allowed; use "and" and "or"');
  const group = {
    and: parseConditionList(input.and, `${path}.and`, problems),
    or: parseConditionList(input.or, `${path}.or`, problems),
  };
  return group.and.length + group.or.length > 0 ? group : undefined;
}

function parseSort(input: unknown, path: string, problems: Problems): TicketSort[] | undefined {
  if (!Array.isArray(input)) {
    problems.add(path, 'must be an array of { field, direction }');
    return undefined;
  }
  if (input.length > TICKET_QUERY_LIMITS.maxSortLevels) {
    problems.add(path, `must hold at most ${TICKET_QUERY_LIMITS.maxSortLevels} sort levels`);
    return undefined;
  }
  const seen = new Set<string>();
  const levels: TicketSort[] = [];
  input.forEach((level: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(level)) return problems.add(at, 'must be an object { field, direction }');
    const definition = typeof level.field === 'string' ? findTicketField(level.field) : undefined;
    if (!definition || !definition.sortable)
      return problems.add(`${at}.field`, `unknown sort field ${JSON.stringify(level.field)}`);
    if (seen.has(definition.key))
      return problems.add(`${at}.field`, `duplicate sort field "${definition.key}"`);
    const direction = level.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc')
      return problems.add(`${at}.direction`, 'must be "asc" or "desc"');
    seen.add(definition.key);
    levels.push({ field: definition.key as TicketFieldKey, direction });
  });
  return levels;
}

function parseSearch(input: unknown, path: string, problems: Problems): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string') problems.add(path, 'must be a string');
  else if (input.length > TICKET_QUERY_LIMITS.maxSearchLength)
    problems.add(path, `must be at most ${TICKET_QUERY_LIMITS.maxSearchLength} characters`);
  else return input.trim() === '' ? null : input.trim();
  return null;
}

/** At most this many bad ids are named one by one; the rest are summed up in one error. */
const MAX_TICKET_ID_ERRORS = 10;

/**
 * A selection of tickets: 1 to 10,000 unique positive integers (JSON numbers). The body of an export and the
 * list's query string (`ticketIds=1,2,3`, see parseTicketIdList) share these checks and messages.
 */
function parseTicketIds(input: unknown, path: string, problems: Problems): number[] | undefined {
  if (input === undefined || input === null) return undefined;
  if (!Array.isArray(input)) {
    problems.add(path, 'must be an array of ticket ids (positive integers)');
    return undefined;
  }
  if (input.length < 1 || input.length > TICKET_QUERY_LIMITS.maxTicketIds) {
    problems.add(path, `must hold 1 to ${TICKET_QUERY_LIMITS.maxTicketIds} ticket ids; got ${input.length}`);
    return undefined;
  }
  const seen = new Set<number>();
  let bad = 0;
  input.forEach((id: unknown, i) => {
    const message =
      typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1
        ? `must be a positive integer; got ${JSON.stringify(id)?.slice(0, 40) ?? String(id)}`
        : seen.has(id)
          ? `duplicate ticket id ${id}`
          : null;
    if (message === null) seen.add(id as number);
    else if (++bad <= MAX_TICKET_ID_ERRORS) problems.add(`${path}[${i}]`, message);
  });
  if (bad > MAX_TICKET_ID_ERRORS)
    problems.add(path, `${bad - MAX_TICKET_ID_ERRORS} more invalid ticket ids not listed`);
  return bad === 0 ? [...seen] : undefined;
}

/**
 * `ticketIds` of a query string (`1,2,3`) as the array the body carries: each piece that reads as a number becomes
 * one (`1.5` stays a float, and is refused as one), anything else stays text; then the same checks and messages.
 */
export function parseTicketIdList(text: string | null | undefined, path = 'ticketIds'): number[] | undefined {
  if (text === undefined || text === null) return undefined;
  const pieces = text.split(',').map((piece) => {
    const trimmed = piece.trim();
    return /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
  });
  const problems = new Problems();
  const ids = parseTicketIds(text.trim() === '' ? [] : pieces, path, problems);
  if (problems.any) throw new ValidationError(problems.list);
  return ids;
}

/** A view as stored: its own columns, one condition group and its sort. */
export interface TicketViewDefinition {
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
}

/** How a request narrows a view (or all tickets): the paths name the request's fields in errors. */
export interface TicketQueryRefinement {
  readonly columns?: unknown;
  readonly filters?: unknown;
  readonly sort?: unknown;
  readonly search?: unknown;
  readonly ticketIds?: unknown;
}

/**
 * The one way to turn a view and a request into a TicketQuery. Refinement columns and sort replace the view's,
 * filters are ANDed with the view's conditions, search applies on top. Throws ValidationError naming every bad field.
 */
export function buildTicketQuery(
  view: TicketViewDefinition | null,
  refinement: TicketQueryRefinement = {},
): TicketQuery {
  return refineTicketQuery(view ? parseStoredView(view) : DEFAULT_TICKET_QUERY, refinement);
}

/** buildTicketQuery on a query already parsed (a stored view read once); throws ValidationError naming every bad field. */
export function refineTicketQuery(base: TicketQuery, refinement: TicketQueryRefinement = {}): TicketQuery {
  const problems = new Problems();
  const columns =
    refinement.columns === undefined ? base.columns : parseColumns(refinement.columns, 'columns', problems);
  const sort = refinement.sort === undefined ? base.sort : parseSort(refinement.sort, 'sort', problems);
  const filters = parseConditionGroup(refinement.filters, 'filters', problems);
  const search = parseSearch(refinement.search, 'search', problems);
  const ticketIds = parseTicketIds(refinement.ticketIds, 'ticketIds', problems);
  if (problems.any) throw new ValidationError(problems.list);
  return {
    columns: columns ?? base.columns,
    conditions: filters ? [...base.conditions, filters] : base.conditions,
    sort: sort && sort.length > 0 ? sort : base.sort,
    search,
    ...(ticketIds ? { ticketIds } : {}),
  };
}

/** Reads a stored view; a view that no longer validates (a field was removed) is an error of the view, not the request. */
export function parseStoredView(view: TicketViewDefinition): TicketQuery {
  const problems = new Problems();
  const columns = parseColumns(view.columns, 'view.columns', problems);
  const group = parseConditionGroup(view.conditions, 'view.conditions', problems);
  const sort = parseSort(view.sort ?? [], 'view.sort', problems);
  if (problems.any) throw new ValidationError(problems.list);
  return {
    columns: columns ?? DEFAULT_TICKET_COLUMNS,
    conditions: group ? [group] : [],
    sort: sort && sort.length > 0 ? sort : DEFAULT_TICKET_SORT,
    search: null,
  };
}

/** Throws ValidationError when `timezone` is not an IANA zone name this runtime knows. */
export function parseTimeZone(input: unknown, path = 'timezone'): string {
  if (input === undefined || input === null) return 'UTC';
  if (typeof input === 'string' && input.length <= 64 && /^[A-Za-z0-9_+\-/]+$/.test(input)) {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: input }).resolvedOptions().timeZone;
    } catch {
      // falls through to the error below
    }
  }
  throw new ValidationError([
    {
      field: path,
      message: `unknown time zone ${JSON.stringify(input)}; use an IANA name such as Europe/Paris`,
    },
  ]);
}
