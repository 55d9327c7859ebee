import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Caller } from '../orders/domain/order.types';
import { unauthenticated } from '../http/problem';

/** Where the guard leaves the verified caller on the (fastify) request. */
export interface RequestWithCaller {
  caller?: Caller;
}

/** The authenticated caller `{ userId, roles }` (set by the AuthGuard). */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw unauthenticated('Authentication required.');
  return caller;
});
