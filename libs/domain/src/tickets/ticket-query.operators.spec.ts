import { ValidationError } from '../errors/domain-error';
import { filter, TEAM_ID } from './testing/ticket-query.fixtures';
import { TICKET_FIELDS, type TicketFieldKey } from './ticket-fields';
import { buildTicketQuery, CONDITION_OPERATORS, type ConditionOperator, operatorsFor } from './ticket-query';

// Operators by field type, as CONTRACT §4 lists them.
const TEXT = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'is_empty',
  'is_not_empty',
];
const NUMBER = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];
const DATE = [
  'before',
  'after',
  'on_or_before',
  'on_or_after',
  'within_past_days',
  'is_empty',
  'is_not_empty',
];
const CHOICE = ['is', 'is_not', 'is_any_of', 'is_none_of', 'is_empty'];
const PRIORITY = [...CHOICE, 'gt', 'gte', 'lt', 'lte'];
/** The contract gives tags no operator list; the domain treats them as a multi-valued choice. */
const TAGS = CHOICE;

const OPERATORS_BY_FIELD: Readonly<Record<TicketFieldKey, readonly string[]>> = {
  id: NUMBER,
  title: TEXT,
  description: TEXT,
  status: CHOICE,
  statusType: CHOICE,
  priority: PRIORITY,
  category: CHOICE,
  tags: TAGS,
  assignee: CHOICE,
  assigneeName: TEXT,
  assigneeEmail: TEXT,
  team: CHOICE,
  teamName: TEXT,
  contactName: TEXT,
  contactEmail: TEXT,
  createdByName: TEXT,
  creationTime: DATE,
  lastModificationTime: DATE,
  resolvedAt: DATE,
  closedAt: DATE,
  slaDueAt: DATE,
  slaStatus: TEXT,
  language: TEXT,
};

/** A value the field accepts with the operator, so that only the operator decides whether a condition passes. */
function aConditionFor(field: TicketFieldKey, operator: ConditionOperator): Record<string, unknown> {
  if (operator === 'is_empty' || operator === 'is_not_empty') return { field, operator };
  if (operator === 'within_past_days') return { field, operator, value: 7 };
  const value: string | number =
    OPERATORS_BY_FIELD[field] === NUMBER
      ? 42
      : OPERATORS_BY_FIELD[field] === DATE
        ? '2026-01-31'
        : field === 'statusType'
          ? 'open'
          : field === 'assignee'
            ? '@me'
            : field === 'team'
              ? TEAM_ID
              : field === 'priority'
                ? 'high'
                : 'printer';
  if (operator === 'is_any_of' || operator === 'is_none_of') return { field, operator, values: [value] };
  return { field, operator, value };
}

describe('ticket query', () => {
  describe('operatorsFor', () => {
    it('has an expectation for every field of the registry', () => {
      expect(Object.keys(OPERATORS_BY_FIELD).sort()).toEqual(TICKET_FIELDS.map((f) => f.key).sort());
    });

    it.each(Object.entries(OPERATORS_BY_FIELD))('%s: exactly %j', (field, expected) => {
      expect([...operatorsFor(field as TicketFieldKey)].sort()).toEqual([...expected].sort());
    });

    it('knows no operator for an unknown field', () => {
      expect(operatorsFor('nope' as TicketFieldKey)).toEqual([]);
    });

    it.each(Object.entries(OPERATORS_BY_FIELD))(
      'a filter on %s accepts exactly its operators and names the operator of any other',
      (field, expected) => {
        const key = field as TicketFieldKey;
        const accepted: string[] = [];
        for (const operator of CONDITION_OPERATORS) {
          const condition = aConditionFor(key, operator);
          try {
            const query = buildTicketQuery(null, filter(condition));
            expect(query.conditions).toEqual([{ and: [condition], or: [] }]);
            accepted.push(operator);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect(error).toMatchObject({ errors: [{ field: 'filters.and[0].operator' }] });
          }
        }
        expect(accepted.sort()).toEqual([...expected].sort());
      },
    );
  });
});
