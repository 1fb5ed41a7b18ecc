import type { IncomingHttpHeaders } from 'node:http';

/**
 * A response header by its lower-case name. autocannon hands `onResponse` the headers keyed as the server spelled
 * them (`ETag`): looking up `etag` directly finds nothing (until session 8 the If-None-Match run never sent one).
 */
export function rawHeader(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  return undefined;
}
