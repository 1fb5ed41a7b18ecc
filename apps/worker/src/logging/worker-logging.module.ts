import {
  Injectable,
  Logger,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type AppConfig, redisErrorListener } from '@app/infrastructure';
import { LoggerModule } from 'nestjs-pino';
import { ExportProcessor } from '../exports/export.processor';
import { MailNotificationProcessor } from '../notifications/mail-notification.processor';
import { WebhookDeliveryProcessor } from '../webhooks/webhook-delivery.processor';
import { attemptLogFields } from './attempt-log-context';

/**
 * The worker logs as the API does: one JSON object per line through pino (level, time, context, msg), and every
 * line of an export attempt carries `jobId`, `tenantId` and `attempt` (AsyncLocalStorage, set by the processor).
 */
@Module({})
export class WorkerLoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerLoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { level: config.logLevel, mixin: attemptLogFields },
        }),
      ],
    };
  }
}

/**
 * The BullMQ Workers emit their connections' errors (Redis away, a lock that could not be renewed) as 'error':
 * logged as one warning line each (repeats throttled) instead of BullMQ's console.error fallback. Every processor of
 * the process: exports, webhook deliveries and, with SMTP_URL, mails.
 */
@Injectable()
export class WorkerRedisErrorLog implements OnApplicationBootstrap {
  constructor(
    private readonly exports: ExportProcessor,
    private readonly webhooks: WebhookDeliveryProcessor,
    @Optional() private readonly mails?: MailNotificationProcessor,
  ) {}

  onApplicationBootstrap(): void {
    this.exports.worker.on('error', redisErrorListener(new Logger('ExportWorker'), 'exports worker'));
    this.webhooks.worker.on('error', redisErrorListener(new Logger('WebhookWorker'), 'webhooks worker'));
    this.mails?.worker.on('error', redisErrorListener(new Logger('MailWorker'), 'mail worker'));
  }
}
