import { type ArgumentMetadata, Injectable, type PipeTransform, ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { type FieldError, ValidationError } from '@app/domain';

/** class-validator's nested errors as the API names fields everywhere: `filters.and[2].operator`. */
export function fieldErrors(errors: readonly ClassValidatorError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent === ''
        ? error.property
        : `${parent}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property \S+ /, ''),
    }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

const exceptionFactory = (errors: ClassValidatorError[]): ValidationError =>
  new ValidationError(fieldErrors(errors));

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Bodies are strict: unknown properties are refused, so a typo (`colums`) is an error rather than a silent
 * default. Query strings are lenient: unknown parameters (cache busters) are dropped. Either way the DTO's rules
 * apply and every failure names its field.
 */
@Injectable()
export class ApiValidationPipe implements PipeTransform {
  private readonly strict = new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory,
  });
  private readonly lenient = new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: false,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory,
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      // No body at all reads as an empty object; a body that is not an object is refused outright.
      const body = value === undefined ? {} : value;
      if (!isPlainObject(body))
        throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
      return this.strict.transform(body, metadata) as Promise<unknown>;
    }
    if (metadata.type === 'query') return this.lenient.transform(value ?? {}, metadata) as Promise<unknown>;
    return value;
  }
}
