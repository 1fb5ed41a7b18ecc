import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { requireJwtSecret } from '@app/infrastructure';
import { ApiModule, type ApiModuleOptions } from './api.module';
import { authenticateBeforeBody } from './auth/authenticate-before-body';
import { corsOptions } from './http/cors';
import { JSON_BODY_LIMIT, isJsonContentType, requireJsonBody } from './http/json-body';
import { requestIdMiddleware } from './http/request-id';
import { ApiMetrics } from './metrics/api-metrics';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { setupOpenApi } from './openapi';

/**
 * Node's HTTP server limits. headers/request: a client must send its request within them (slowloris). keepAlive: an
 * idle kept-alive connection is closed after it. idle: a socket on which nothing moved for that long is destroyed,
 * so a download whose client stopped reading (or reads 1 byte/s) frees its socket and its storage stream.
 */
export const HTTP_SERVER_TIMEOUTS = {
  headersMs: 20_000,
  requestMs: 60_000,
  keepAliveMs: 5_000,
  idleMs: 60_000,
} as const;

/**
 * The API application, configured but not listening: main.ts listens on PORT, the e2e harness on an ephemeral
 * port. Express-level middleware runs in this order: request id, latency metric, CORS (when CORS_ORIGINS is set:
 * preflights end there), 415 check, token check of a request with a body (401 before the body is read), JSON body
 * (1 MB).
 */
export async function createApiApp(options: ApiModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(options), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.set('etag', false);
  app.set('x-powered-by', false);
  app.set('trust proxy', 'loopback');
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(ApiMetrics)));
  const cors = corsOptions(options.config.corsOrigins);
  if (cors) app.enableCors(cors);
  app.use(requireJsonBody);
  app.use(authenticateBeforeBody(requireJwtSecret(options.config)));
  app.useBodyParser('json', {
    limit: JSON_BODY_LIMIT,
    type: (request: Parameters<typeof requireJsonBody>[0]) =>
      isJsonContentType(request.headers['content-type']),
  });
  setupOpenApi(app);
  const server = app.getHttpServer();
  server.headersTimeout = HTTP_SERVER_TIMEOUTS.headersMs;
  server.requestTimeout = HTTP_SERVER_TIMEOUTS.requestMs;
  server.keepAliveTimeout = HTTP_SERVER_TIMEOUTS.keepAliveMs;
  server.timeout = HTTP_SERVER_TIMEOUTS.idleMs;
  // Node destroys a timed-out socket only when nobody listens for 'timeout' (a request or response may): say so.
  server.on('timeout', (socket: Socket) => socket.destroy());
  return app;
}
