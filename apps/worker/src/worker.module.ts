import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import {
  DeliverWebhookHandler,
  DispatchMailNotificationsHandler,
  DispatchWebhookEventsHandler,
  SendMailNotificationHandler,
  ReconcileExportQueueHandler,
  RunExportJobHandler,
} from '@app/application';
import type { AppConfig } from '@app/infrastructure';
import { ExportReconcileModule } from '@app/infrastructure/nest/export-reconcile.module';
import { MailModule } from '@app/infrastructure/nest/mail.module';
import { WebhooksModule } from '@app/infrastructure/nest/webhooks.module';
import { ExportCleanupCron } from './exports/export-cleanup.cron';
import { ExportProcessor } from './exports/export.processor';
import { ExportQueueReconciler } from './exports/export-queue.reconciler';
import { WorkerLoggingModule, WorkerRedisErrorLog } from './logging/worker-logging.module';
import { MailNotificationProcessor } from './notifications/mail-notification.processor';
import { MailOutboxRelay } from './notifications/mail-outbox.relay';
import { WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor';
import { WebhookOutboxRelay } from './webhooks/webhook-outbox.relay';
import { WorkerCoreModule } from './worker-core.module';

/**
 * The worker process: runs exports from the queue, keeps the queue in step with the database, and runs the
 * retention cleanup on CLEANUP_CRON; relays export events to webhook endpoints and delivers them.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        WorkerCoreModule.forRoot(config, { applicationName: 'export-service-worker', queueRole: 'worker' }),
        ExportReconcileModule,
        WebhooksModule.forRoot(config, 'worker'),
        MailModule.forRoot(config),
        ScheduleModule.forRoot(),
        WorkerLoggingModule.forRoot(config),
      ],
      providers: [
        RunExportJobHandler,
        ExportProcessor,
        ReconcileExportQueueHandler,
        ExportQueueReconciler,
        ExportCleanupCron,
        WorkerRedisErrorLog,
        DispatchWebhookEventsHandler,
        DeliverWebhookHandler,
        WebhookOutboxRelay,
        WebhookDeliveryProcessor,
        // Mail only with SMTP_URL: MailModule provides nothing without it.
        ...(config.mail.smtpUrl === null
          ? []
          : [
              DispatchMailNotificationsHandler,
              SendMailNotificationHandler,
              MailOutboxRelay,
              MailNotificationProcessor,
            ]),
      ],
    };
  }
}
