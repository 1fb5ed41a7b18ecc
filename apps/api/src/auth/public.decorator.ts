import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** The route answers without a token (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
