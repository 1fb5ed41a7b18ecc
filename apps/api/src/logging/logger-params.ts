import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/infrastructure';
import type { Params } from 'nestjs-pino';
import { type DestinationStream, destination as pinoDestination } from 'pino';
import { requestIdOf } from '../http/api-request';

/** A job's status read: GET /export-jobs/:id, without a sub-resource. */
const STATUS_READ = /^\/export-jobs\/[^/?]+(\?|$)/;

/**
 * The level of a request's completion line: errors and 5xx at error; a status poll answered 200 or 304 at debug
 * (the admin page polls each running job every few seconds: at info those lines were most of the log, and their
 * serialization a tenth of the CPU of each poll); everything else at info.
 */
export function requestLogLevel(
  request: { method?: string; url?: string },
  response: { statusCode: number },
  error?: Error,
): 'error' | 'info' | 'debug' {
  if (error || response.statusCode >= 500) return 'error';
  const poll = request.method === 'GET' && (response.statusCode === 200 || response.statusCode === 304);
  return poll && STATUS_READ.test(request.url ?? '') ? 'debug' : 'info';
}

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
    customLogLevel: requestLogLevel,
    autoLogging: { ignore: (request: { url?: string }) => /^\/(health|metrics)\b/.test(request.url ?? '') },
  };
  return {
    pinoHttp: [options, stream],
    assignResponse: true,
  };
}
