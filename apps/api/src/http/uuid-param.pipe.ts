import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { isUuid, ValidationError } from '@app/domain';

/** Ids in paths are UUIDs; anything else is a 400 naming the parameter (never a database error). */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !isUuid(value))
      throw new ValidationError([{ field: metadata.data ?? 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}
