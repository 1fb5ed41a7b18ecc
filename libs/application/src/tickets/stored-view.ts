import { DomainError, parseStoredView, type TicketQuery, ValidationError } from '@app/domain';
import type { TicketViewRecord } from '../ports/ticket-view.repository';

/** A stored view that no longer validates (a field was removed since it was saved): the view's fault, not the request's. */
export class InvalidTicketViewError extends DomainError {
  constructor(view: TicketViewRecord, cause: ValidationError) {
    super(
      'TICKET_VIEW.INVALID',
      `The view "${view.name}" can no longer be used: ${cause.message}. Edit the view and try again.`,
      { viewId: view.id },
    );
  }
}

/** The query a stored view stands for, or InvalidTicketViewError. */
export function queryOfView(view: TicketViewRecord): TicketQuery {
  try {
    return parseStoredView(view);
  } catch (error) {
    if (error instanceof ValidationError) throw new InvalidTicketViewError(view, error);
    throw error;
  }
}
