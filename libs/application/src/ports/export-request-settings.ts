import type { FormatRowCaps } from '@app/domain';

/** The API's knobs for export requests, from configuration. */
export abstract class ExportRequestSettings {
  /** EXPORT_<FORMAT>_MAX_ROWS: a request whose rows, cheaply counted, exceed its format's cap is refused. */
  abstract readonly maxRowsByFormat: FormatRowCaps;
  /** EXPORT_MAX_ACTIVE_PER_USER: queued or running jobs one user may have at a time. */
  abstract readonly maxActivePerRequester: number;
  /** How long a client is told to wait before asking again once it hit the limit (Retry-After). */
  abstract readonly retryAfterSeconds: number;
  /** SMTP_URL is set: `notify: ["email"]` is accepted. */
  abstract readonly emailNotifications: boolean;
}
