import { randomUUID } from 'node:crypto';
import type { ApiRequest, ApiResponse } from './api-request';
import { headerValue } from './api-request';

const ACCEPTED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware of all: every request gets an id (the caller's `x-request-id` when it is a sane token, else a
 * new UUID), echoed in the response and carried by every log line and every 5xx problem.
 */
export function requestIdMiddleware(request: ApiRequest, response: ApiResponse, next: () => void): void {
  const incoming = headerValue(request, 'x-request-id');
  request.id = incoming !== undefined && ACCEPTED_ID.test(incoming) ? incoming : randomUUID();
  response.setHeader('x-request-id', request.id);
  next();
}
