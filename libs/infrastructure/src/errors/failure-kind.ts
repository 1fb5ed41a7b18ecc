import { DomainError } from '@app/domain';

/**
 * What kind of failure an error is, decided in this one place for the whole service:
 * - `refusal`: a DomainError, a decision of this service (its code says which); trying again gives the same answer;
 * - `outage`: a dependency is unreachable, overloaded or restarting; the same call may succeed shortly;
 * - `rejection`: a dependency refused the call itself (a query Postgres rejects, S3 or Azure denying access);
 * - `unknown`: nothing recognised.
 * The worker retries outages and unknown failures (EXPORT_MAX_ATTEMPTS bounds the cost); the API answers an outage
 * with 503 and anything else it does not map with 500.
 */
export type FailureKind = 'refusal' | 'outage' | 'rejection' | 'unknown';

/** SQLSTATE classes of outages: connection, rollback (serialization, deadlock), resources, operator, system. */
const OUTAGE_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const OUTAGE_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const OUTAGE_S3_NAMES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'TimeoutError',
  'ThrottlingException',
]);

interface ErrorShape {
  code?: unknown;
  name?: unknown;
  driverError?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
  /** Azure SDK (core-rest-pipeline's RestError). */
  statusCode?: unknown;
}

/** A Node socket code, else a SQLSTATE (TypeORM copies the driver's onto its error, or keeps it in driverError). */
function errorCode(e: ErrorShape): string | undefined {
  if (typeof e.code === 'string') return e.code;
  const driver =
    typeof e.driverError === 'object' && e.driverError !== null ? (e.driverError as ErrorShape) : {};
  return typeof driver.code === 'string' ? driver.code : undefined;
}

/** 408 (timeout), 429 (throttling) and 5xx (500 InternalError, 503 ServerBusy, ...): the same call may succeed later. */
const isOutageStatus = (status: number): boolean => status >= 500 || status === 429 || status === 408;

/**
 * Postgres errors by SQLSTATE class, Node socket errors by code, AWS SDK errors by HTTP status, name and fault,
 * Azure SDK errors (RestError) by HTTP status, or as an outage when no answer came (REQUEST_SEND_ERROR, ...).
 */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof DomainError) return 'refusal';
  if (typeof error !== 'object' || error === null) return 'unknown';
  const e = error as ErrorShape;
  const code = errorCode(e);
  if (code !== undefined && OUTAGE_NODE_CODES.has(code)) return 'outage';
  if (e.name === 'RestError') {
    const status = e.statusCode;
    // A 403 (AuthenticationFailed, AuthorizationFailure), a 404 (ContainerNotFound): the same call fails again.
    return typeof status !== 'number' || isOutageStatus(status) ? 'outage' : 'rejection';
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code))
    return OUTAGE_SQLSTATE_CLASSES.has(code.slice(0, 2)) ? 'outage' : 'rejection';
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return isOutageStatus(status) ? 'outage' : 'rejection';
  if (typeof e.name === 'string' && OUTAGE_S3_NAMES.has(e.name)) return 'outage';
  if (e.$fault === 'client') return 'rejection';
  // Node reports a failed connection to every address of a dual-stack name as one AggregateError.
  if (error instanceof AggregateError && error.errors.some((inner) => classifyFailure(inner) === 'outage'))
    return 'outage';
  return 'unknown';
}

/** Worth trying again later: an outage, or a failure nothing recognised. */
export function isTransientFailure(error: unknown): boolean {
  const kind = classifyFailure(error);
  return kind === 'outage' || kind === 'unknown';
}
