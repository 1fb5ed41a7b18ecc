export * from './config/app-config';
export * from './auth/access-token';
export * from './persistence/data-source';
export * from './tickets/ticket-query-builder';
export * from './tickets/ticket-sql-fields';
export * from './http/content-disposition';
export * from './errors/failure-kind';
export * from './auth/token-subject';
export { createFileStorage } from './storage/create-file-storage';
export { exportProjection } from './export/export-projection';
export { EXPORT_QUEUE } from './queue/export-queue.constants';
export { seedDatabase, type SeedOptions, type SeedResult } from './seed/seed';
export { ACME } from './seed/reference-data';
export { nastyStrings } from './seed/nasty-strings';
export { exportJobOptions, type ExportQueueData, redisConnection } from './queue/export-queue.constants';
export { GLOBEX, type SeededTenant, seedTenant, type TenantSeed } from './seed/reference-data';
// Adapters, for the specs that drive one directly against the real service.
export { SystemClock } from './clock/system-clock';
export { LocalFileStorage } from './storage/local-file-storage';
export { BullmqExportQueue } from './queue/bullmq-export-queue';
export { PgUploadJournal } from './export/pg-upload-journal';
export { TypeormExportCleanupStore } from './persistence/repositories/typeorm-export-cleanup.store';
export { TypeormExportJobRepository } from './persistence/repositories/typeorm-export-job.repository';
export { exitOnProcessFailure } from './logging/process-failure';
export { redisErrorListener } from './queue/redis-error-log';
export { type JobChange, JOB_CHANGE_CHANNEL, encodeJobChange } from './events/job-change-channel';
export { RedisJobChangePublisher, type JobChangePublisher } from './events/redis-job-change-publisher';
export { RedisJobChangeSubscriber, type JobChangeListener } from './events/redis-job-change-subscriber';
export {
  CachedExportJobReadModel,
  EXPORT_JOB_READ_CACHE,
  type ExportJobReadCacheOptions,
} from './persistence/repositories/cached-export-job.read-model';
export { TypeormExportJobReadModel } from './persistence/repositories/typeorm-export-job.read-model';
// The PDF renderer itself is in sdk-adapters.ts.
export { describeQuery } from './export/pdf/query-summary';
export { WEBHOOK_QUEUE, type WebhookQueueData, WEBHOOK_JOB_OPTIONS } from './queue/bullmq-webhook-queue';
export { HttpWebhookSender } from './webhooks/http-webhook-sender';
export { isPrivateAddress } from './webhooks/destination-addresses';
export { webhookSignature } from './webhooks/webhook-signature';
export { WebhookSecretCipher } from './webhooks/webhook-secret-cipher';
export { MAIL_QUEUE, MAIL_ATTEMPTS, type MailQueueData } from './queue/bullmq-mail-queue';
