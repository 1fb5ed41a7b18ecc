import type { AppConfig } from '@app/infrastructure';

/**
 * The environment that makes `loadConfig` return `config` again: how a command hands its validated configuration to
 * the apps it starts, without reading process.env itself (only app-config does). Optional values are left out.
 */
export function environmentOf(config: AppConfig): Record<string, string> {
  const { storage, exports: limits } = config;
  const env: Record<string, string> = {
    NODE_ENV: config.environment,
    PORT: String(config.port),
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    STORAGE_DRIVER: storage.driver,
    STORAGE_LOCAL_DIR: storage.localDir,
    S3_REGION: storage.s3.region,
    S3_FORCE_PATH_STYLE: String(storage.s3.forcePathStyle),
    S3_REQUEST_TIMEOUT_MS: String(storage.s3.requestTimeoutMs),
    AZURE_REQUEST_TIMEOUT_MS: String(storage.azure.requestTimeoutMs),
    EXPORT_RETENTION_HOURS: String(limits.retentionHours),
    EXPORT_BATCH_SIZE: String(limits.batchSize),
    EXPORT_WORKER_CONCURRENCY: String(limits.workerConcurrency),
    EXPORT_MAX_ATTEMPTS: String(limits.maxAttempts),
    EXPORT_MAX_ACTIVE_PER_USER: String(limits.maxActivePerUser),
    EXPORT_ATTEMPT_TIMEOUT_S: String(limits.attemptTimeoutSeconds),
    EXPORT_STALL_AFTER_S: String(limits.stallAfterSeconds),
    EXPORT_XLSX_SHEET_ROWS: String(limits.xlsxSheetRows),
    EXPORT_PDF_PAGE_SIZE: limits.pdfPageSize,
    WEBHOOK_ALLOW_HTTP: String(config.webhooks.allowHttp),
    WEBHOOK_ALLOW_PRIVATE: String(config.webhooks.allowPrivate),
    WEBHOOK_RETRY_SCALE: String(config.webhooks.retryScale),
    MAIL_RETRY_DELAY_MS: String(config.mail.retryDelayMs),
    PUBLIC_BASE_URL: config.publicBaseUrl,
    CLEANUP_CRON: config.cleanupCron,
    EXPORT_RECONCILE_INTERVAL_S: String(config.reconcileIntervalSeconds),
    EVENTS_MAX_STREAMS_PER_USER: String(config.events.maxStreamsPerUser),
    EVENTS_MAX_STREAMS: String(config.events.maxStreams),
    LOG_LEVEL: config.logLevel,
  };
  const optional: Record<string, string | null> = {
    AUTH_JWT_SECRET: config.auth.jwtSecret,
    WEBHOOK_SECRET_KEY: config.webhooks.secretKey,
    SMTP_URL: config.mail.smtpUrl,
    MAIL_FROM: config.mail.from,
    S3_ENDPOINT: storage.s3.endpoint,
    S3_BUCKET: storage.s3.bucket,
    S3_ACCESS_KEY_ID: storage.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: storage.s3.secretAccessKey,
    CORS_ORIGINS: config.corsOrigins.length === 0 ? null : config.corsOrigins.join(','),
    AZURE_STORAGE_CONNECTION_STRING: storage.azure.connectionString,
    AZURE_STORAGE_ACCOUNT: storage.azure.account,
    AZURE_STORAGE_KEY: storage.azure.accountKey,
    AZURE_CONTAINER: storage.azure.container,
  };
  // One variable a capped format: EXPORT_XLSX_MAX_ROWS, ...
  for (const [format, maxRows] of Object.entries(limits.maxRowsByFormat))
    env[`EXPORT_${format.toUpperCase()}_MAX_ROWS`] = String(maxRows);
  for (const [name, value] of Object.entries(optional)) if (value !== null) env[name] = value;
  return env;
}
