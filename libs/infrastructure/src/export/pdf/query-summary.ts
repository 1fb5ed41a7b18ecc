import {
  type ConditionOperator,
  exportColumnLabel,
  type ExportJobQuery,
  type ExportSource,
  type SourceCondition,
  type SourceConditionGroup,
} from '@app/domain';

const OPERATOR_WORDS: Readonly<Record<ConditionOperator, string>> = {
  eq: '=',
  neq: '≠',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  is_empty: 'is empty',
  is_not_empty: 'is not empty',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  before: 'before',
  after: 'after',
  on_or_before: 'on or before',
  on_or_after: 'on or after',
  within_past_days: 'within past days',
  is: 'is',
  is_not: 'is not',
  is_any_of: 'is any of',
  is_none_of: 'is none of',
};

type LabelOf = (field: string) => string;

function describeCondition(c: SourceCondition, labelOf: LabelOf): string {
  const operand =
    c.values !== undefined ? `(${c.values.join(', ')})` : c.value === undefined ? '' : `"${String(c.value)}"`;
  return [labelOf(c.field), OPERATOR_WORDS[c.operator], operand].filter((part) => part !== '').join(' ');
}

function describeGroup(group: SourceConditionGroup, labelOf: LabelOf): string[] {
  const parts = group.and.map((c) => describeCondition(c, labelOf));
  if (group.or.length > 0) parts.push(`(${group.or.map((c) => describeCondition(c, labelOf)).join(' or ')})`);
  return parts;
}

/**
 * The filters, search and sort of an export in one line for the PDF's title block, e.g.
 * `Filters: Status is any of (open, pending) and Priority ≥ "high" · Search: "printer" · Sort: Priority desc`.
 * Fields are named by the labels of the job's source (an audit log's `time` is "Time", a ticket's `creationTime`
 * "Created"), the key where the source has no column of that name.
 */
export function describeQuery(source: ExportSource, query: ExportJobQuery): string {
  const labelOf: LabelOf = (field) => exportColumnLabel(source, field);
  const filters = query.conditions.flatMap((group) => describeGroup(group, labelOf));
  const parts = [`Filters: ${filters.length > 0 ? filters.join(' and ') : 'none'}`];
  if (query.search !== null && query.search !== '') parts.push(`Search: "${query.search}"`);
  const sort = query.sort.map((s) => `${labelOf(s.field)} ${s.direction}`);
  parts.push(`Sort: ${sort.length > 0 ? sort.join(', ') : 'default'}`);
  return parts.join(' · ');
}
