import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { unauthenticated } from '../http/problem';
import type { Caller } from './jwt';

/** Where the guard leaves the verified caller on the (fastify) request. */
export interface RequestWithCaller {
  caller?: Caller;
}

/** The caller the guard verified (401 without one); `C` narrows the roles to the product's. */
export function callerOf<C extends Caller = Caller>(request: RequestWithCaller): C {
  if (!request.caller) throw unauthenticated('Authentication required.');
  return request.caller as C;
}

/** The authenticated caller `{ userId, roles }` (set by the AuthGuard). */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller =>
  callerOf(ctx.switchToHttp().getRequest<RequestWithCaller>()),
);
