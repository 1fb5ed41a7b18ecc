import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Observable } from 'rxjs';
import type { ApiRequest } from '../http/api-request';

/** Adds `jobId` to every log line of a request on /export-jobs/:id... */
@Injectable()
export class JobIdLogInterceptor implements NestInterceptor {
  constructor(private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const id = context.switchToHttp().getRequest<ApiRequest>().params?.id;
    if (id !== undefined) this.logger.assign({ jobId: id });
    return next.handle();
  }
}
