import { DomainError } from '@app/domain';

/** No usable identity: missing, malformed or expired token, unknown or disabled user, foreign tenant claim. */
export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super('AUTH.UNAUTHENTICATED', message);
  }
}
