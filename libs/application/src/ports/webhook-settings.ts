/** The operator's webhook choices (WEBHOOK_ALLOW_HTTP, WEBHOOK_RETRY_SCALE). */
export abstract class WebhookSettings {
  /** http:// endpoints are accepted (tests, demo); otherwise https only. */
  abstract readonly allowHttp: boolean;
  /** Multiplies the retry schedule's delays and its 24 h window; 1 in production. */
  abstract readonly retryScale: number;
  /** EXPORT_RECONCILE_INTERVAL_S: how often a worker looks for deliveries whose queue entry was lost. */
  abstract readonly queueCheckIntervalMs: number;
}
