import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC } from './auth.constants';

/** Marks a route (or controller) as open to unauthenticated callers. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
