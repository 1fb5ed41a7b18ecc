import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import {
  type Page,
  type WebhookDeliveryView,
  WebhookEndpointStore,
  type WebhookEndpointView,
} from '../../../ports/webhook-endpoint.store';
import { requireWebhookAdmin } from '../../commands/manage-webhook-endpoints/manage-webhook-endpoints.handler';
import { ListWebhookDeliveriesQuery, ListWebhookEndpointsQuery } from './list-webhook-endpoints.query';

@QueryHandler(ListWebhookEndpointsQuery)
export class ListWebhookEndpointsHandler implements IQueryHandler<ListWebhookEndpointsQuery> {
  constructor(private readonly endpoints: WebhookEndpointStore) {}

  async execute({ actor, page }: ListWebhookEndpointsQuery): Promise<Page<WebhookEndpointView>> {
    requireWebhookAdmin({ actor });
    return this.endpoints.list(actor.tenantId, page);
  }
}

/** Newest first; an endpoint of another tenant is not found. */
@QueryHandler(ListWebhookDeliveriesQuery)
export class ListWebhookDeliveriesHandler implements IQueryHandler<ListWebhookDeliveriesQuery> {
  constructor(private readonly endpoints: WebhookEndpointStore) {}

  async execute({ actor, endpointId, page }: ListWebhookDeliveriesQuery): Promise<Page<WebhookDeliveryView>> {
    requireWebhookAdmin({ actor });
    if (!(await this.endpoints.find(actor.tenantId, endpointId)))
      throw new ResourceNotFoundError('WEBHOOK_ENDPOINT', endpointId);
    return this.endpoints.listDeliveries(actor.tenantId, endpointId, page);
  }
}
