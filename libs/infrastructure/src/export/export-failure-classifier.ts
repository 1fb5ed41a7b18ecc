import { ExportFailureClassifier } from '@app/application';
import { DomainError } from '@app/domain';

/** SQLSTATE classes worth another attempt: connection, resources, operator intervention, rollback (serialization). */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const TRANSIENT_S3_NAMES = new Set([
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
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Postgres errors by SQLSTATE class, Node socket errors by code, AWS SDK errors by fault and HTTP status. Domain
 * errors are decisions, never retried. What is not recognised is retried: EXPORT_MAX_ATTEMPTS bounds the cost.
 */
export class DefaultExportFailureClassifier extends ExportFailureClassifier {
  isTransient(error: unknown): boolean {
    if (error instanceof DomainError) return false;
    if (typeof error !== 'object' || error === null) return true;
    const e = error as ErrorShape;
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !TRANSIENT_NODE_CODES.has(e.code)) {
      return TRANSIENT_SQLSTATE_CLASSES.has(e.code.slice(0, 2));
    }
    if (typeof e.code === 'string' && TRANSIENT_NODE_CODES.has(e.code)) return true;
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number') return status >= 500 || status === 429 || status === 408;
    if (typeof e.name === 'string' && TRANSIENT_S3_NAMES.has(e.name)) return true;
    if (e.$fault === 'client') return false;
    return true;
  }
}
