/**
 * The one catalogue of the codes a DomainError carries. Clients see them in problem+json bodies (CONTRACT §5), so a
 * code never changes once released. The API maps each to an HTTP status (apps/api/src/http/problem.ts): a new code
 * does not compile until it has one.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'AUTH.UNAUTHENTICATED',
  'ACCESS_DENIED',
  'EXPORT_JOB.NOT_FOUND',
  'EXPORT_JOB.UNKNOWN_STATUS',
  'EXPORT_JOB.INVALID_TRANSITION',
  'EXPORT_JOB.INVALID_PROGRESS',
  'EXPORT_JOB.NOT_RETRYABLE',
  'EXPORT_JOB.NOT_COMPLETED',
  'EXPORT_JOB.CONCURRENT_UPDATE',
  'EXPORT_JOB.EXPIRED',
  'EXPORT_JOB.FILE_MISSING',
  'EXPORT_JOB.TOO_MANY_ACTIVE',
  'EVENT_STREAM.TOO_MANY_PER_USER',
  'EVENT_STREAM.CAPACITY_REACHED',
  'EXPORT_JOB.TOO_LARGE',
  'IDEMPOTENCY_KEY.REUSED',
  'TICKET_VIEW.NOT_FOUND',
  'TICKET_VIEW.INVALID',
  'WEBHOOK_ENDPOINT.NOT_FOUND',
  'STORAGE.NOT_FOUND',
  'STORAGE.INVALID_KEY',
  'STORAGE.INVALID_UPLOAD_ID',
  'STORAGE.UPLOAD_ABORTED',
  'STORAGE.UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The codes a failed export job shows in its `error.code` (CONTRACT §5). They are outcomes written to the job, never
 * thrown, so they have no HTTP status.
 */
export const EXPORT_FAILURE_CODES = [
  'EXPORT_JOB.FAILED',
  'EXPORT_JOB.INVALID_QUERY',
  'EXPORT_JOB.WORKER_LOST',
  'EXPORT_JOB.TIMED_OUT',
  /** Over the format's row cap (format-row-caps.ts), found at `counting`: the same code the API answers 422 with. */
  'EXPORT_JOB.TOO_LARGE',
] as const;

export type ExportFailureCode = (typeof EXPORT_FAILURE_CODES)[number];
