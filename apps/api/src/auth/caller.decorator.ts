import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CallContext } from '@app/application';
import type { Actor } from '@app/domain';
import { type ApiRequest, headerValue } from '../http/api-request';
import { UnauthenticatedError } from './unauthenticated.error';

const MAX_USER_AGENT = 512;

function actorOf(request: ApiRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError('This route needs an access token.');
  return request.actor;
}

/** The authenticated actor (set by AuthGuard). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor =>
  actorOf(context.switchToHttp().getRequest<ApiRequest>()),
);

/** The actor plus what the audit trail records about the call: client address and user agent. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): CallContext => {
  const request = context.switchToHttp().getRequest<ApiRequest>();
  return {
    actor: actorOf(request),
    ip: request.ip ?? request.socket.remoteAddress ?? null,
    userAgent: headerValue(request, 'user-agent')?.slice(0, MAX_USER_AGENT) ?? null,
  };
});
