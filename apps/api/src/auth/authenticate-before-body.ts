import type { ApiRequest, ApiResponse } from '../http/api-request';
import { hasBody } from '../http/json-body';
import { bearerClaims } from './auth.guard';

/**
 * Express middleware ahead of the JSON body parser: a request that carries a body and no valid token is 401
 * before a byte of its body is read, so an anonymous client can make the API neither buffer nor parse up to the
 * body limit (a 2 MB anonymous body is 401, not 413). Only the token is checked here; the guard still resolves the
 * user on every route. Every route that takes a body requires a token (only GET /health and /metrics are public).
 */
export function authenticateBeforeBody(secret: string) {
  return (request: ApiRequest, _response: ApiResponse, next: (error?: unknown) => void): void => {
    if (!hasBody(request)) return next();
    try {
      bearerClaims(request, secret);
    } catch (error) {
      return next(error);
    }
    next();
  };
}
