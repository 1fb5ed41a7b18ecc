import {
  type Actor,
  type ExportRequestInput,
  type ExportSourceDefinition,
  exportSourceDefinition,
  parseExportSource,
  type FieldError,
  type ParsedExportRequest,
  parseExportRequest,
  parseExportViewId,
  type RefinedView,
} from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../auth/access-errors';
import type { TicketViewRepository } from '../ports/ticket-view.repository';
import { queryOfView } from '../tickets/stored-view';

/**
 * The source a body names, when this actor may request it: an unknown source is a 400 naming `source`, a source
 * the actor may not use a 403. The first check of every handler that takes an export body.
 */
export function requireExportSource(actor: Actor, source: string | null | undefined): ExportSourceDefinition {
  const definition = exportSourceDefinition(parseExportSource(source));
  if (!definition.canRequest(actor)) throw new AccessDeniedError(definition.requestDeniedMessage);
  return definition;
}

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
  // Only tickets have views: another source names a `viewId` as a field it does not take (its parser says so).
  const usesViews = exportSourceDefinition(parseExportSource(input.source)).usesViews;
  const viewId = usesViews ? parseExportViewId(input.viewId, errors) : null;
  const view = viewId === null ? null : await findView(views, actor, viewId);
  return parseExportRequest(input, view, errors);
}

async function findView(views: TicketViewRepository, actor: Actor, viewId: string): Promise<RefinedView> {
  const record = await views.findUsable(actor.tenantId, actor.userId, viewId);
  if (!record) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
  return { id: record.id, name: record.name, query: queryOfView(record) };
}
