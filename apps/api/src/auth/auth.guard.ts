import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ActorResolver } from '@app/application';
import {
  type AccessTokenClaims,
  type AppConfig,
  requireJwtSecret,
  verifyAccessToken,
} from '@app/infrastructure';
import { InjectConfig } from '@app/infrastructure/nest/config.module';
import { PinoLogger } from 'nestjs-pino';
import { type ApiRequest, headerValue } from '../http/api-request';
import { LOGS_JOB_ID } from '../logging/job-id-log';
import { IS_PUBLIC } from './public.decorator';
import { UnauthenticatedError } from './unauthenticated.error';

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/** The claims of the request's bearer token, signature and expiry checked; UnauthenticatedError otherwise. */
export function bearerClaims(request: ApiRequest, secret: string): AccessTokenClaims {
  const header = headerValue(request, 'authorization');
  if (header === undefined || header.trim() === '')
    throw new UnauthenticatedError('Send an access token: Authorization: Bearer <token>.');
  const token = BEARER.exec(header)?.[1];
  const claims = token === undefined ? null : verifyAccessToken(token, secret);
  if (claims === null) throw new UnauthenticatedError('The access token is malformed, invalid or expired.');
  return claims;
}

/**
 * Global guard: a valid HS256 token whose user exists, is enabled and belongs to the token's tenant. The user,
 * its admin flag and its roles' permissions are read from the database on every request, so revoking a permission
 * or disabling a user takes effect on the next request. What the actor may do is decided by the handlers.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly secret: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly actors: ActorResolver,
    private readonly logger: PinoLogger,
    @InjectConfig() config: AppConfig,
  ) {
    this.secret = requireJwtSecret(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<ApiRequest>();
    const claims = bearerClaims(request, this.secret);
    const actor = await this.actors.resolve(claims.sub, claims.tid);
    if (actor === null)
      throw new UnauthenticatedError('The access token does not belong to an active user of its tenant.');
    request.actor = actor;
    // The log lines of the request carry who asked, and on job routes (LogsJobId) which job.
    const jobId = this.reflector.getAllAndOverride<boolean>(LOGS_JOB_ID, targets)
      ? request.params?.id
      : undefined;
    this.logger.assign({ userId: actor.userId, tenantId: actor.tenantId, ...(jobId ? { jobId } : {}) });
    return true;
  }
}
