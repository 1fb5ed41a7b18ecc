import {
  type Actor,
  type ExportRequestInput,
  type FieldError,
  type ParsedExportRequest,
  parseExportRequest,
  parseExportViewId,
  type RefinedView,
} from '@app/domain';
import { ResourceNotFoundError } from '../auth/access-errors';
import type { TicketViewRepository } from '../ports/ticket-view.repository';
import { queryOfView } from '../tickets/stored-view';

/**
 * The export a body describes for this actor: the view looked up (visible to the actor, else 404; a stored view
 * that no longer validates is TICKET_VIEW.INVALID) and everything parsed once, every bad field named in one error.
 * Creating a job and estimating one read a body the same way through here.
 */
export async function exportRequestOfActor(
  views: TicketViewRepository,
  actor: Actor,
  input: ExportRequestInput,
  /** Errors of fields the caller parsed itself (e.g. `notify`), reported in the same 400 as the rest. */
  fieldErrors: FieldError[] = [],
): Promise<ParsedExportRequest> {
  const errors = [...fieldErrors];
  const viewId = parseExportViewId(input.viewId, errors);
  const view = viewId === null ? null : await findView(views, actor, viewId);
  return parseExportRequest(input, view, errors);
}

async function findView(views: TicketViewRepository, actor: Actor, viewId: string): Promise<RefinedView> {
  const record = await views.findUsable(actor.tenantId, actor.userId, viewId);
  if (!record) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
  return { id: record.id, name: record.name, query: queryOfView(record) };
}
