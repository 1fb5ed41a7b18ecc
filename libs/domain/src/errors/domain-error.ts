/**
 * Every error the domain and application layers raise carries a stable, machine-readable code.
 * The API maps codes to HTTP statuses in one place; nothing below it knows about HTTP.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
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
