import { DomainError } from '@app/domain';

export class TooManyActiveExportJobsError extends DomainError {
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      'EXPORT_JOB.TOO_MANY_ACTIVE',
      `You already have ${limit} exports queued or running; wait for one to finish, or cancel one.`,
      { limit, retryAfterSeconds },
    );
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY.REUSED',
      'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
    );
  }
}
