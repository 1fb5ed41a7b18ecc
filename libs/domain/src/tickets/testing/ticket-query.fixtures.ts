/** What the `ticket-query.*.spec.ts` files share: how a refused query is read, and a view to refine. */
import { type FieldError, ValidationError } from '../../errors/domain-error';
import { errorThrownBy } from '../../testing/export-job.factory';
import { buildTicketQuery, type TicketQueryRefinement, type TicketViewDefinition } from '../ticket-query';

/** The ValidationError a call was refused with; fails the test when it threw anything else or nothing. */
export function validationErrorOf(call: () => unknown): ValidationError {
  const error = errorThrownBy(call);
  if (!(error instanceof ValidationError))
    throw new Error(`expected a ValidationError, got ${String(error)}`);
  expect(error.code).toBe('VALIDATION_FAILED');
  return error;
}

export const fieldErrorsOf = (call: () => unknown): readonly FieldError[] => validationErrorOf(call).errors;

export const fieldsNamedBy = (call: () => unknown): string[] => fieldErrorsOf(call).map((e) => e.field);

export const refine = (refinement: TicketQueryRefinement) => (): unknown =>
  buildTicketQuery(null, refinement);
export const filter = (...and: unknown[]): TicketQueryRefinement => ({ filters: { and, or: [] } });

export const TEAM_ID = '3f2b8c1e-9d4a-4c7b-8e2f-1a2b3c4d5e6f';
export const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

export const OPEN_TICKETS = { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] };
export const aView = (overrides: Partial<TicketViewDefinition> = {}): TicketViewDefinition => ({
  columns: ['id', 'title', 'status'],
  conditions: OPEN_TICKETS,
  sort: [{ field: 'priority', direction: 'desc' }],
  ...overrides,
});
