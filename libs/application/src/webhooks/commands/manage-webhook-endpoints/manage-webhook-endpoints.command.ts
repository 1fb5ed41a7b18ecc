import { Command } from '@nestjs/cqrs';
import type { WebhookEndpointInput } from '@app/domain';
import type { CallContext } from '../../../auth/call-context';
import type { WebhookEndpointView } from '../../../ports/webhook-endpoint.store';

/** An endpoint with its signing secret: the one time the secret is shown (creation, rotation). */
export interface WebhookEndpointWithSecret {
  readonly endpoint: WebhookEndpointView;
  readonly secret: string;
}

export class CreateWebhookEndpointCommand extends Command<WebhookEndpointWithSecret> {
  constructor(
    readonly context: CallContext,
    readonly input: WebhookEndpointInput,
  ) {
    super();
  }
}

export class DeleteWebhookEndpointCommand extends Command<void> {
  constructor(
    readonly context: CallContext,
    readonly endpointId: string,
  ) {
    super();
  }
}

/** A new secret; the old one signs too for 24 h. */
export class RotateWebhookSecretCommand extends Command<WebhookEndpointWithSecret> {
  constructor(
    readonly context: CallContext,
    readonly endpointId: string,
  ) {
    super();
  }
}
