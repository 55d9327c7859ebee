import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../http/problem';
import type { RequestWithCaller } from './current-caller.decorator';
import { type Caller, InvalidTokenError, TokenVerifier } from './jwt';

export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
const IS_PUBLIC = 'rc:isPublic';

/** Marks a route (or controller) as open without a token: /health, /metrics, the CLOCK=manual test routes. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The outcome of reading a request's bearer token: a caller, or why there is none. */
export type Authentication = { caller: Caller } | { refused: string };

/** The request's bearer token, verified once however many ask (the rate limiter, then the guard). */
export function authenticate(request: FastifyRequest, verifier: TokenVerifier): Promise<Authentication> {
  const req = request as FastifyRequest & RequestWithCaller & { authentication?: Promise<Authentication> };
  req.authentication ??= (async () => {
    const header = request.headers.authorization;
    if (!header) return { refused: 'Missing Authorization: Bearer <token> header.' };
    const m = BEARER.exec(header);
    if (!m) return { refused: 'Authorization header must be "Bearer <token>".' };
    try {
      const caller = await verifier.verify(m[1]);
      req.caller = caller;
      return { caller };
    } catch (e) {
      if (e instanceof InvalidTokenError) return { refused: `Invalid token: ${e.message}.` };
      throw e;
    }
  })();
  return req.authentication;
}

/** Global guard: every route needs `Authorization: Bearer <JWT>` unless public. */
@Injectable()
export class AuthGuard implements CanActivate {
  /** @Public() per handler, looked up once (the guard runs on every request). */
  private readonly publicHandlers = new WeakMap<object, boolean>();

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, context.getClass()]);
      this.publicHandlers.set(handler, isPublic);
    }
    if (isPublic) return true;
    const outcome = await authenticate(context.switchToHttp().getRequest<FastifyRequest>(), this.verifier);
    if ('refused' in outcome) throw unauthenticated(outcome.refused);
    return true;
  }
}
