import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import {
  WebhookDeliveryStore,
  WebhookDestinationGuard,
  WebhookEndpointStore,
  WebhookQueue,
  WebhookSender,
  WebhookSettings,
} from '@app/application';
import { DataSource } from 'typeorm';
import { type AppConfig, requireWebhookSecretKey } from '../config/app-config';
import { TypeormWebhookDeliveryStore } from '../persistence/repositories/typeorm-webhook-delivery.store';
import { TypeormWebhookEndpointStore } from '../persistence/repositories/typeorm-webhook-endpoint.store';
import { BullmqWebhookQueue, WEBHOOK_QUEUE } from '../queue/bullmq-webhook-queue';
import { queueErrorLog } from '../queue/redis-error-log';
import { DnsWebhookDestinationGuard } from '../webhooks/dns-webhook-destination-guard';
import { HttpWebhookSender } from '../webhooks/http-webhook-sender';
import { WebhookSecretCipher } from '../webhooks/webhook-secret-cipher';

/**
 * Webhook adapters. The API manages endpoints (`api`); the worker also relays the outbox and delivers from the
 * `webhooks` queue (`worker`, next to QueueModule's BullMQ connection). Both need the secrets' key at start.
 */
@Module({})
export class WebhooksModule {
  static forRoot(config: AppConfig, role: 'api' | 'worker'): DynamicModule {
    const cipher = new WebhookSecretCipher(requireWebhookSecretKey(config));
    const { allowHttp, allowPrivate } = config.webhooks;
    /** Registration and every delivery check a destination by the same rules (destination-addresses.ts). */
    const destinations = { allowHttp, allowPrivate };
    const settings: WebhookSettings = {
      allowHttp: config.webhooks.allowHttp,
      retryScale: config.webhooks.retryScale,
      queueCheckIntervalMs: config.reconcileIntervalSeconds * 1000,
    };
    const common: Provider[] = [
      { provide: WebhookSettings, useValue: settings },
      {
        provide: WebhookEndpointStore,
        useFactory: (ds: DataSource) => new TypeormWebhookEndpointStore(ds, cipher),
        inject: [DataSource],
      },
      {
        provide: WebhookDestinationGuard,
        useValue: new DnsWebhookDestinationGuard(destinations),
      },
    ];
    const exported = [WebhookSettings, WebhookEndpointStore, WebhookDestinationGuard];
    if (role === 'api') return { module: WebhooksModule, providers: common, exports: exported };
    return {
      module: WebhooksModule,
      imports: [BullModule.registerQueue({ name: WEBHOOK_QUEUE })],
      providers: [
        ...common,
        {
          provide: WebhookDeliveryStore,
          useFactory: (ds: DataSource) => new TypeormWebhookDeliveryStore(ds, cipher),
          inject: [DataSource],
        },
        { provide: WebhookSender, useValue: new HttpWebhookSender(destinations) },
        { provide: WebhookQueue, useClass: BullmqWebhookQueue },
        queueErrorLog(WEBHOOK_QUEUE, 'WebhookQueue'),
      ],
      exports: [...exported, WebhookDeliveryStore, WebhookSender, WebhookQueue, BullModule],
    };
  }
}
