import { DomainError } from '@app/domain';

/** The actor is known and may see the resource, but not do this with it. */
export class AccessDeniedError extends DomainError {
  constructor(message = 'You are not allowed to do this.') {
    super('ACCESS_DENIED', message);
  }
}

/**
 * The resource does not exist for this actor: missing, in another tenant, or invisible to it. One answer for all
 * three, so nobody learns what exists elsewhere.
 */
export class ResourceNotFoundError extends DomainError {
  constructor(resource: 'EXPORT_JOB' | 'TICKET_VIEW' | 'WEBHOOK_ENDPOINT', id: string) {
    const what = {
      EXPORT_JOB: 'export job',
      TICKET_VIEW: 'ticket view',
      WEBHOOK_ENDPOINT: 'webhook endpoint',
    }[resource];
    super(`${resource}.NOT_FOUND`, `No ${what} ${id} was found.`, { id });
  }
}
