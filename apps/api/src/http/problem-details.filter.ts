import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { type ApiRequest, type ApiResponse, requestIdOf } from './api-request';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problem';

/**
 * The one exception filter: every error becomes application/problem+json. Expected errors carry their code and
 * message; anything else is logged with the request id and answered with a generic problem naming that id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    logger.setContext(ProblemDetailsFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<ApiRequest>();
    const response = host.switchToHttp().getResponse<ApiResponse>();
    const requestId = requestIdOf(request);
    const problem = problemFor(exception, requestId);
    if (problem.unexpected)
      this.logger.error(
        { err: exception, requestId, status: problem.body.status },
        'request failed unexpectedly',
      );
    if (response.headersSent) {
      // A stream broke after the status line went out: the client must see a broken response, not a short one.
      response.destroy();
      return;
    }
    for (const name of ['Content-Length', 'Content-Disposition', 'ETag', 'Retry-After', 'Location'])
      response.removeHeader(name);
    response.statusCode = problem.body.status;
    response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    response.setHeader('Cache-Control', 'no-store');
    for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
    response.end(JSON.stringify(problem.body));
  }
}
