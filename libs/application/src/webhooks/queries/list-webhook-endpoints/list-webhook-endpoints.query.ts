import { Query } from '@nestjs/cqrs';
import type { Actor } from '@app/domain';
import type {
  Page,
  PageRequest,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '../../../ports/webhook-endpoint.store';

export class ListWebhookEndpointsQuery extends Query<Page<WebhookEndpointView>> {
  constructor(
    readonly actor: Actor,
    readonly page: PageRequest,
  ) {
    super();
  }
}

export class ListWebhookDeliveriesQuery extends Query<Page<WebhookDeliveryView>> {
  constructor(
    readonly actor: Actor,
    readonly endpointId: string,
    readonly page: PageRequest,
  ) {
    super();
  }
}
