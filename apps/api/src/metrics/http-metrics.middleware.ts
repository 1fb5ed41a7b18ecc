import type { ApiRequest, ApiResponse } from '../http/api-request';
import type { ApiMetrics } from './api-metrics';

/** Observes every request's latency, labelled by route template (`/export-jobs/:id`), never by raw URL. */
export function httpMetricsMiddleware(metrics: ApiMetrics) {
  return (request: ApiRequest, response: ApiResponse, next: () => void): void => {
    const stop = metrics.httpDuration.startTimer();
    response.once('finish', () => {
      const path = request.route?.path;
      stop({
        method: request.method ?? 'GET',
        route: typeof path === 'string' ? path : 'unmatched',
        status_code: String(response.statusCode),
      });
    });
    next();
  };
}
