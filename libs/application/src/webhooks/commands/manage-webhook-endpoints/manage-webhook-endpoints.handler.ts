import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { canManageWebhookEndpoints, parseWebhookEndpoint, ValidationError } from '@app/domain';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import type { CallContext } from '../../../auth/call-context';
import type { AuditAction, AuditEntry } from '../../../ports/audit-log';
import { Clock } from '../../../ports/clock';
import { WebhookDestinationGuard } from '../../../ports/webhook-destination-guard';
import { WebhookEndpointStore } from '../../../ports/webhook-endpoint.store';
import { WebhookSettings } from '../../../ports/webhook-settings';
import { newWebhookSecret, PREVIOUS_SECRET_VALID_MS } from '../../webhook-secret';
import {
  CreateWebhookEndpointCommand,
  DeleteWebhookEndpointCommand,
  RotateWebhookSecretCommand,
  type WebhookEndpointWithSecret,
} from './manage-webhook-endpoints.command';

/** Webhook endpoints are the tenant's export admins' to manage; everyone else is refused before anything is read. */
export function requireWebhookAdmin(context: Pick<CallContext, 'actor'>): void {
  if (!canManageWebhookEndpoints(context.actor))
    throw new AccessDeniedError(
      'Managing webhook endpoints needs an administrator with the Import / Export Tickets permission.',
    );
}

function audit(context: CallContext, action: AuditAction, details: Record<string, unknown>): AuditEntry {
  return {
    tenantId: context.actor.tenantId,
    actorId: context.actor.userId,
    action,
    jobId: null,
    ip: context.ip,
    userAgent: context.userAgent,
    details,
  };
}

@CommandHandler(CreateWebhookEndpointCommand)
export class CreateWebhookEndpointHandler implements ICommandHandler<CreateWebhookEndpointCommand> {
  constructor(
    private readonly endpoints: WebhookEndpointStore,
    private readonly guard: WebhookDestinationGuard,
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
  ) {}

  async execute({ context, input }: CreateWebhookEndpointCommand): Promise<WebhookEndpointWithSecret> {
    requireWebhookAdmin(context);
    const spec = parseWebhookEndpoint(input, this.settings.allowHttp);
    const refusal = await this.guard.refusal(spec.url);
    if (refusal !== null) throw new ValidationError([{ field: 'url', message: refusal }]);
    const id = randomUUID();
    const secret = newWebhookSecret();
    await this.endpoints.add(
      {
        ...spec,
        id,
        tenantId: context.actor.tenantId,
        createdById: context.actor.userId,
        secret,
        createdAt: this.clock.now(),
      },
      audit(context, 'webhook.created', { endpointId: id, url: spec.url, events: spec.events }),
    );
    const endpoint = await this.endpoints.find(context.actor.tenantId, id);
    if (!endpoint) throw new ResourceNotFoundError('WEBHOOK_ENDPOINT', id);
    return { endpoint, secret };
  }
}

@CommandHandler(DeleteWebhookEndpointCommand)
export class DeleteWebhookEndpointHandler implements ICommandHandler<DeleteWebhookEndpointCommand> {
  constructor(private readonly endpoints: WebhookEndpointStore) {}

  async execute({ context, endpointId }: DeleteWebhookEndpointCommand): Promise<void> {
    requireWebhookAdmin(context);
    const removed = await this.endpoints.remove(
      context.actor.tenantId,
      endpointId,
      audit(context, 'webhook.deleted', { endpointId }),
    );
    if (!removed) throw new ResourceNotFoundError('WEBHOOK_ENDPOINT', endpointId);
  }
}

@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand> {
  constructor(
    private readonly endpoints: WebhookEndpointStore,
    private readonly clock: Clock,
  ) {}

  async execute({ context, endpointId }: RotateWebhookSecretCommand): Promise<WebhookEndpointWithSecret> {
    requireWebhookAdmin(context);
    const now = this.clock.now();
    const previousValidUntil = new Date(now.getTime() + PREVIOUS_SECRET_VALID_MS);
    const secret = newWebhookSecret();
    const endpoint = await this.endpoints.rotateSecret(
      context.actor.tenantId,
      endpointId,
      { secret, now, previousValidUntil },
      audit(context, 'webhook.secret_rotated', { endpointId, previousSecretExpiresAt: previousValidUntil }),
    );
    if (!endpoint) throw new ResourceNotFoundError('WEBHOOK_ENDPOINT', endpointId);
    return { endpoint, secret };
  }
}
