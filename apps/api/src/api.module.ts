import {
  CachedExportJobReadModel,
  RedisJobChangePublisher,
  RedisJobChangeSubscriber,
  SystemClock,
  TypeormExportJobReadModel,
} from '@app/infrastructure';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import {
  CancelExportJobHandler,
  Clock,
  CreateWebhookEndpointHandler,
  DeleteWebhookEndpointHandler,
  ListWebhookDeliveriesHandler,
  ListWebhookEndpointsHandler,
  RotateWebhookSecretHandler,
  CreateExportJobHandler,
  EstimateExportHandler,
  ExportJobReadModel,
  ExportRequestSettings,
  GetExportJobByIdHandler,
  ListExportJobsHandler,
  ListTicketViewsHandler,
  ListViewTicketsHandler,
  OpenExportDownloadHandler,
  RetryExportJobHandler,
} from '@app/application';
import type { AppConfig } from '@app/infrastructure';
import { ConfigModule } from '@app/infrastructure/nest/config.module';
import { DatabaseModule } from '@app/infrastructure/nest/database.module';
import { ExportEstimateModule } from '@app/infrastructure/nest/export-estimate.module';
import { WebhooksModule } from '@app/infrastructure/nest/webhooks.module';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { AdminPageController } from './admin/admin-page.controller';
import { AuthGuard } from './auth/auth.guard';
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_RECHECK_MS,
  EventStreamSettings,
} from './export-jobs/events/event-stream-settings';
import { ExportJobEventsController } from './export-jobs/events/export-job-events.controller';
import { CacheFirstJobChangeSource, JobChangeSource } from './export-jobs/events/job-change-subscriber';
import { JobEventHub } from './export-jobs/events/job-event-hub';
import { ExportJobsController } from './export-jobs/export-jobs.controller';
import { ExportSourcesController } from './export-sources/export-sources.controller';
import { HealthController } from './health/health.controller';
import { RedisProbe } from './health/redis-probe';
import { ApiValidationPipe } from './http/api-validation.pipe';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { loggerParams } from './logging/logger-params';
import { ApiMetrics } from './metrics/api-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { TicketViewsController } from './ticket-views/ticket-views.controller';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';

export interface ApiModuleOptions {
  readonly config: AppConfig;
  /** Provides the ExportQueue port: `QueueModule.forRoot(config)`, or a test double. */
  readonly queue: DynamicModule;
  /** Provides the FileStorage port: `StorageModule.forRoot(config)`, or a test double. */
  readonly storage: DynamicModule;
  /** Where logs go (stdout when absent). */
  readonly logDestination?: DestinationStream;
  /** Timings of the event streams (tests shorten them); the bounds come from the configuration. */
  readonly events?: { readonly heartbeatMs?: number; readonly recheckMs?: number };
}

const HANDLERS = [
  CreateExportJobHandler,
  EstimateExportHandler,
  CancelExportJobHandler,
  RetryExportJobHandler,
  GetExportJobByIdHandler,
  ListExportJobsHandler,
  OpenExportDownloadHandler,
  ListTicketViewsHandler,
  ListViewTicketsHandler,
  CreateWebhookEndpointHandler,
  DeleteWebhookEndpointHandler,
  RotateWebhookSecretHandler,
  ListWebhookEndpointsHandler,
  ListWebhookDeliveriesHandler,
];

/** The HTTP API: controllers translate HTTP to commands and queries; handlers decide. */
@Module({})
export class ApiModule {
  static forRoot({ config, queue, storage, logDestination, events }: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, logDestination)),
        DatabaseModule.forRoot(config, 'export-service-api'),
        ExportEstimateModule.forRoot(config),
        CqrsModule.forRoot(),
        WebhooksModule.forRoot(config, 'api'),
        queue,
        storage,
      ],
      controllers: [
        HealthController,
        MetricsController,
        ExportSourcesController,
        TicketViewsController,
        ExportJobsController,
        ExportJobEventsController,
        AdminPageController,
        WebhookEndpointsController,
      ],
      providers: [
        ...HANDLERS,
        { provide: Clock, useClass: SystemClock },
        {
          provide: ExportRequestSettings,
          useValue: {
            maxActivePerRequester: config.exports.maxActivePerUser,
            retryAfterSeconds: 30,
            maxRowsByFormat: config.exports.maxRowsByFormat,
            emailNotifications: config.mail.smtpUrl !== null,
          } satisfies ExportRequestSettings,
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        {
          provide: EventStreamSettings,
          useValue: {
            maxPerUser: config.events.maxStreamsPerUser,
            maxTotal: config.events.maxStreams,
            heartbeatMs: events?.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
            recheckMs: events?.recheckMs ?? DEFAULT_RECHECK_MS,
          } satisfies EventStreamSettings,
        },
        // Job reads (polls, event streams) from memory between announced changes; see CachedExportJobReadModel.
        {
          provide: CachedExportJobReadModel,
          useFactory: (dataSource: DataSource, ownChanges: RedisJobChangePublisher) => {
            const cache = new CachedExportJobReadModel(new TypeormExportJobReadModel(dataSource));
            ownChanges.alsoNotify(cache); // this process's writes, before their message comes back from Redis
            return cache;
          },
          inject: [DataSource, RedisJobChangePublisher],
        },
        { provide: ExportJobReadModel, useExisting: CachedExportJobReadModel },
        {
          provide: JobChangeSource,
          useFactory: (cache: CachedExportJobReadModel) =>
            new CacheFirstJobChangeSource(
              new RedisJobChangeSubscriber(config.redisUrl, new Logger('JobChangeSubscriber')),
              cache,
            ),
          inject: [CachedExportJobReadModel],
        },
        JobEventHub,
        RedisProbe,
        ApiMetrics,
      ],
    };
  }
}
