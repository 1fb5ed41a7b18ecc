import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { ApiRequest, ApiResponse } from './api-request';
import { headerValue } from './api-request';

export const JSON_BODY_LIMIT = '1mb';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** `application/json` or a `+json` type, with or without parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export function hasBody(request: ApiRequest): boolean {
  const length = headerValue(request, 'content-length');
  return headerValue(request, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** A request that carries a body must say it is JSON: anything else is 415, before a byte of it is read. */
export function requireJsonBody(
  request: ApiRequest,
  _response: ApiResponse,
  next: (error?: unknown) => void,
): void {
  const method = request.method ?? 'GET';
  if (
    BODY_METHODS.has(method) &&
    hasBody(request) &&
    !isJsonContentType(headerValue(request, 'content-type'))
  )
    return next(new UnsupportedMediaTypeException('Send the request body as application/json.'));
  next();
}
