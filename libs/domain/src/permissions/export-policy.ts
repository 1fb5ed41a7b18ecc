import { type Actor, actorHas } from './actor';
import { SystemPermissions } from './system-permissions';

/** The facts about a job that authorization needs; an ExportJob satisfies it. */
export interface OwnedByRequester {
  readonly tenantId: string;
  readonly requestedById: string;
}

const canExport = (actor: Actor): boolean => actorHas(actor, SystemPermissions.ImportExportTickets);

/** An admin of the same tenant who may export: sees, downloads and manages every job of the tenant. */
function isExportAdminOf(actor: Actor, job: OwnedByRequester): boolean {
  return actor.tenantId === job.tenantId && actor.isAdmin && canExport(actor);
}

function isRequesterOf(actor: Actor, job: OwnedByRequester): boolean {
  return actor.tenantId === job.tenantId && actor.userId === job.requestedById;
}

export function canRequestExport(actor: Actor): boolean {
  return canExport(actor);
}

/** See a job: its requester, or an export admin of the same tenant. */
export function canSeeExportJob(actor: Actor, job: OwnedByRequester): boolean {
  return isRequesterOf(actor, job) || isExportAdminOf(actor, job);
}

/** Download: admin AND ImportExportTickets AND same tenant, checked at download time; the requester alone is not enough. */
export function canDownloadExportJob(actor: Actor, job: OwnedByRequester): boolean {
  return isExportAdminOf(actor, job);
}

/** Cancel: the requester while still holding the permission, or an export admin of the tenant. */
export function canCancelExportJob(actor: Actor, job: OwnedByRequester): boolean {
  return (isRequesterOf(actor, job) && canExport(actor)) || isExportAdminOf(actor, job);
}

export function canRetryExportJob(actor: Actor, job: OwnedByRequester): boolean {
  return canCancelExportJob(actor, job);
}

/** Whether listing shows the whole tenant's jobs (export admins) or only the actor's own. */
export function canListAllExportJobsOfTenant(actor: Actor): boolean {
  return actor.isAdmin && canExport(actor);
}

/** Manage the tenant's webhook endpoints (and read their deliveries): the tenant's export admins. */
export function canManageWebhookEndpoints(actor: Actor): boolean {
  return actor.isAdmin && canExport(actor);
}
