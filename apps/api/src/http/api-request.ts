import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '@app/domain';

/**
 * What the API reads of an Express request (Express itself ships no types here). `id` comes from pino-http's
 * typing of IncomingMessage; the request-id middleware sets it first thing, see requestIdOf.
 */
export interface ApiRequest extends IncomingMessage {
  /** Set by the auth guard on every non-public route. */
  actor?: Actor;
  readonly ip?: string;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly route?: { readonly path?: unknown };
  body?: unknown;
}

/** What the API writes on an Express response. */
export interface ApiResponse extends ServerResponse {
  status(code: number): this;
}

export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The id the request-id middleware gave the request. */
export function requestIdOf(request: IncomingMessage): string {
  return typeof request.id === 'string' ? request.id : 'unknown';
}
