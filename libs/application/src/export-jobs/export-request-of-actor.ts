import {
  type Actor,
  type ExportRequestInput,
  type ExportSourceDefinition,
  exportSourceDefinition,
  parseExportSource,
  type FieldError,
  type NotifyChannel,
  type ParsedExportRequest,
  parseExportRequest,
  parseExportViewId,
  parseNotify,
  type RefinedView,
} from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../auth/access-errors';
import type { ExportRequestSettings } from '../ports/export-request-settings';
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
 * The body of POST /export-jobs and of POST /export-jobs/estimate, its JSON shape already checked at the edge: the
 * export it describes, and who to tell when the job ends.
 */
export type ExportJobRequestInput = ExportRequestInput & {
  /** `["email"]`: mail the requester when the job ends. */
  readonly notify?: readonly unknown[] | null;
};

export interface ParsedExportJobRequest extends ParsedExportRequest {
  readonly notify: NotifyChannel[];
}

/**
 * The export a body describes for this actor: the view looked up (visible to the actor, else 404; a stored view
 * that no longer validates is TICKET_VIEW.INVALID) and everything parsed once, every bad field named in one error.
 * Creating a job and estimating one read a body the same way through here, `notify` included: an estimate of a
 * request the service would refuse is refused too (it answers 400 for `notify: ["email"]` without SMTP_URL).
 */
export async function exportRequestOfActor(
  views: TicketViewRepository,
  actor: Actor,
  input: ExportJobRequestInput,
  settings: Pick<ExportRequestSettings, 'emailNotifications'>,
): Promise<ParsedExportJobRequest> {
  const errors: FieldError[] = [];
  const notify = parseNotify(input.notify, settings.emailNotifications, errors);
  // Only tickets have views: another source names a `viewId` as a field it does not take (its parser says so).
  const usesViews = exportSourceDefinition(parseExportSource(input.source)).usesViews;
  const viewId = usesViews ? parseExportViewId(input.viewId, errors) : null;
  const view = viewId === null ? null : await findView(views, actor, viewId);
  return { ...parseExportRequest(input, view, errors), notify };
}

async function findView(views: TicketViewRepository, actor: Actor, viewId: string): Promise<RefinedView> {
  const record = await views.findUsable(actor.tenantId, actor.userId, viewId);
  if (!record) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
  return { id: record.id, name: record.name, query: queryOfView(record) };
}
