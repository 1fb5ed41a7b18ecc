import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

/** What a page on an allowed origin may send beyond the simple headers, and read beyond the simple ones. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'Last-Event-ID',
] as const;
export const CORS_EXPOSED_HEADERS = ['ETag', 'Retry-After', 'Location', 'Content-Disposition'] as const;

/**
 * CORS for CORS_ORIGINS, or null when none is configured (the default: no CORS header at all). An allowed origin
 * gets its preflights answered (204) and its responses, errors and event streams included, marked readable; any
 * other origin gets no CORS header, so its browser refuses to show it anything. No credentials mode: the API reads
 * the Authorization header, never cookies.
 */
export function corsOptions(origins: readonly string[]): CorsOptions | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  return {
    origin: (origin: string | undefined, answer: (error: Error | null, allow?: boolean) => void) =>
      answer(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}
