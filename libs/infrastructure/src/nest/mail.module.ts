import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { Mailer, MailNotificationStore, MailQueue, MailSettings } from '@app/application';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { TypeormMailNotificationStore } from '../persistence/repositories/typeorm-mail-notification.store';
import { BullmqMailQueue, MAIL_QUEUE, type MailQueueData } from '../queue/bullmq-mail-queue';
import { queueErrorLog } from '../queue/redis-error-log';

/**
 * The worker's mail adapters, present only with SMTP_URL (and MAIL_FROM, which app-config requires with it):
 * without them no relay or processor for mail runs, and the API refuses `notify: ["email"]`.
 */
@Module({})
export class MailModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { smtpUrl, from, retryDelayMs } = config.mail;
    if (smtpUrl === null || from === null) return { module: MailModule };
    const settings: MailSettings = {
      publicBaseUrl: config.publicBaseUrl,
      queueCheckIntervalMs: config.reconcileIntervalSeconds * 1000,
    };
    return {
      module: MailModule,
      imports: [BullModule.registerQueue({ name: MAIL_QUEUE })],
      providers: [
        { provide: MailSettings, useValue: settings },
        {
          provide: Mailer,
          // nodemailer (about 12 MB of RSS) loads only where mail is configured.
          useFactory: async () =>
            new (await import('../mail/nodemailer-mailer')).NodemailerMailer(smtpUrl, from),
        },
        {
          provide: MailNotificationStore,
          useFactory: (ds: DataSource) => new TypeormMailNotificationStore(ds),
          inject: [DataSource],
        },
        {
          provide: MailQueue,
          useFactory: (queue: Queue<MailQueueData>) => new BullmqMailQueue(queue, retryDelayMs),
          inject: [getQueueToken(MAIL_QUEUE)],
        },
        queueErrorLog(MAIL_QUEUE, 'MailQueue'),
      ],
      exports: [MailSettings, Mailer, MailNotificationStore, MailQueue, BullModule],
    };
  }
}
