import type { ErrorCode } from './error-code';

/**
 * Every error the domain and application layers raise carries a stable, machine-readable code from the catalogue.
 * The API maps codes to HTTP statuses in one place; nothing below it knows about HTTP. Code that must tell one error
 * from another uses a subclass and `instanceof`, never a comparison of codes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem with one input field, named by its path (`filters.and[2].operator`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  constructor(readonly errors: readonly FieldError[]) {
    super('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

/**
 * An optimistic save found the stored job changed since it was loaded (a cancel racing the worker's progress):
 * nothing was written; reload and decide again.
 */
export class ConcurrentUpdateError extends DomainError {
  constructor(jobId: string) {
    super(
      'EXPORT_JOB.CONCURRENT_UPDATE',
      `Export job ${jobId} was changed by someone else; reload it and try again.`,
    );
  }
}
