import { HttpException } from '@nestjs/common';
import { DomainError, ERROR_CODES, type ErrorCode, type FieldError, ValidationError } from '@app/domain';
import { classifyFailure } from '@app/infrastructure';

/** RFC 9457 problem details, as every error of the API is answered (CONTRACT §5). */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export interface Problem {
  readonly body: ProblemBody;
  readonly headers: Readonly<Record<string, string>>;
  /** Unexpected: log it with its stack; the body says nothing about it. */
  readonly unexpected: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every code of the catalogue (ErrorCode) -> HTTP status: the one place that decides, and a new code does not compile
 * without its status. A 5xx code is the service's own trouble, answered like an unexpected error: logged, its
 * message never shown.
 */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  'AUTH.UNAUTHENTICATED': 401,
  ACCESS_DENIED: 403,
  'EXPORT_JOB.NOT_FOUND': 404,
  'TICKET_VIEW.NOT_FOUND': 404,
  'WEBHOOK_ENDPOINT.NOT_FOUND': 404,
  'EXPORT_JOB.INVALID_TRANSITION': 409,
  'EXPORT_JOB.NOT_RETRYABLE': 409,
  'EXPORT_JOB.NOT_COMPLETED': 409,
  'EXPORT_JOB.CONCURRENT_UPDATE': 409,
  'IDEMPOTENCY_KEY.REUSED': 409,
  'EXPORT_JOB.EXPIRED': 410,
  'EXPORT_JOB.FILE_MISSING': 410,
  'TICKET_VIEW.INVALID': 422,
  'EXPORT_JOB.TOO_LARGE': 422,
  'EXPORT_JOB.TOO_MANY_ACTIVE': 429,
  'EVENT_STREAM.TOO_MANY_PER_USER': 429,
  'EVENT_STREAM.CAPACITY_REACHED': 429,
  'EXPORT_JOB.UNKNOWN_STATUS': 500,
  'EXPORT_JOB.INVALID_PROGRESS': 500,
  'STORAGE.NOT_FOUND': 500,
  'STORAGE.INVALID_KEY': 500,
  'STORAGE.INVALID_UPLOAD_ID': 500,
  'STORAGE.UPLOAD_ABORTED': 500,
  'STORAGE.UNAVAILABLE': 503,
};

/** Codes of refusals made at the HTTP edge (routing, body parsing) and of the generic answers. */
const EDGE_CODES = [
  'BAD_REQUEST',
  'MALFORMED_JSON',
  'ROUTE.NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

type EdgeCode = (typeof EDGE_CODES)[number];
type ProblemCode = ErrorCode | EdgeCode;

/** Every code a client can read in a problem body (5xx codes of the catalogue are answered with a generic one). */
export const PROBLEM_CODES: readonly ProblemCode[] = [
  ...ERROR_CODES.filter((code) => STATUS_BY_CODE[code] < 500),
  ...EDGE_CODES,
];

/** HTTP-level refusals (routing, body parsing) -> code. */
const CODE_BY_STATUS: Readonly<Record<number, ProblemCode>> = {
  400: 'BAD_REQUEST',
  401: 'AUTH.UNAUTHENTICATED',
  403: 'ACCESS_DENIED',
  404: 'ROUTE.NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Errors of body-parser (http-errors): a `type` naming what went wrong and the status it stands for. */
const BODY_ERRORS: Readonly<Record<string, { status: number; code: EdgeCode; detail: string }>> = {
  'entity.too.large': {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'The request body is larger than 1 MB.',
  },
  'entity.parse.failed': {
    status: 400,
    code: 'MALFORMED_JSON',
    detail: 'The request body is not valid JSON, or not a JSON object.',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request body uses a content encoding this service does not accept.',
  },
  'charset.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send JSON encoded as UTF-8.',
  },
  'request.aborted': {
    status: 400,
    code: 'BAD_REQUEST',
    detail: 'The request body was not received in full.',
  },
  'request.size.invalid': {
    status: 400,
    code: 'BAD_REQUEST',
    detail: 'The request body does not match its Content-Length.',
  },
};

function problemType(code: ProblemCode): string {
  return `https://export-service.dev/problems/${code.toLowerCase().replace(/[._]/g, '-')}`;
}

function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  extra: Partial<ProblemBody> = {},
): ProblemBody {
  return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code, ...extra };
}

function propertyOf(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

/** A dependency is down (the one classification, @app/infrastructure), or the domain said so with a 503 code. */
function isUnavailable(error: unknown): boolean {
  if (error instanceof DomainError) return STATUS_BY_CODE[error.code] === 503;
  return classifyFailure(error) === 'outage';
}

/** What to answer for an error, whatever threw it; unexpected errors never show their message. */
export function problemFor(error: unknown, requestId: string): Problem {
  const none = {};
  if (error instanceof ValidationError)
    return {
      body: problem(400, error.code, 'The request is not valid; see errors for each field.', {
        errors: error.errors,
      }),
      headers: none,
      unexpected: false,
    };
  if (error instanceof DomainError && STATUS_BY_CODE[error.code] < 500) {
    const status = STATUS_BY_CODE[error.code];
    const headers: Record<string, string> = {};
    if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
    const retryAfter = error.details?.retryAfterSeconds;
    if (status === 429 && typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
    return { body: problem(status, error.code, error.message), headers, unexpected: false };
  }
  const bodyError =
    typeof propertyOf(error, 'type') === 'string'
      ? BODY_ERRORS[String(propertyOf(error, 'type'))]
      : undefined;
  if (bodyError && typeof propertyOf(error, 'status') === 'number')
    return {
      body: problem(bodyError.status, bodyError.code, bodyError.detail),
      headers: none,
      unexpected: false,
    };
  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    // Nest turns body-parser's JSON syntax errors into a plain 400; no other plain 400 is thrown in this API.
    const [code, detail]: [ProblemCode, string] =
      status === 400
        ? ['MALFORMED_JSON', 'The request body is not valid JSON, or not a JSON object.']
        : [CODE_BY_STATUS[status] ?? 'BAD_REQUEST', error.message];
    return {
      body: problem(status, code, detail),
      headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : none,
      unexpected: false,
    };
  }
  if (isUnavailable(error))
    return {
      body: problem(
        503,
        'SERVICE_UNAVAILABLE',
        `The service cannot reach a dependency; try again shortly (request id ${requestId}).`,
      ),
      headers: { 'Retry-After': '5' },
      unexpected: true,
    };
  return {
    body: problem(
      500,
      'INTERNAL_ERROR',
      `Something went wrong on our side. Quote request id ${requestId} when you report it.`,
    ),
    headers: none,
    unexpected: true,
  };
}
