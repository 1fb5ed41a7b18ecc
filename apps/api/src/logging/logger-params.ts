import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/infrastructure';
import type { Params } from 'nestjs-pino';
import { type DestinationStream, destination as pinoDestination } from 'pino';
import { requestIdOf } from '../http/api-request';

/**
 * Structured JSON logs: every line of a request carries `requestId`, and once the guard has run `userId` and
 * `tenantId` (and `jobId` on job routes). Tokens and cookies never reach the log.
 */
export function loggerParams(config: AppConfig, destination?: DestinationStream): Params {
  // stdout written asynchronously: a line per request no longer costs a write system call each while the API is
  // busy (lines written meanwhile go out together), and pino flushes what is left when the process exits.
  const stream = destination ?? pinoDestination({ dest: 1, sync: false });
  const options = {
    level: config.logLevel,
    genReqId: (request: Parameters<typeof requestIdOf>[0]) => {
      const id = requestIdOf(request);
      return id === 'unknown' ? randomUUID() : id;
    },
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    customLogLevel: (_request: unknown, response: { statusCode: number }, error?: Error) =>
      error || response.statusCode >= 500 ? ('error' as const) : ('info' as const),
    autoLogging: { ignore: (request: { url?: string }) => /^\/(health|metrics)\b/.test(request.url ?? '') },
  };
  return {
    pinoHttp: [options, stream],
    assignResponse: true,
  };
}
