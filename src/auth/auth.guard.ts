import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../http/problem';
import { IS_PUBLIC, TOKEN_VERIFIER } from './auth.constants';
import type { RequestWithCaller } from './current-caller.decorator';
import { InvalidTokenError, TokenVerifier } from './jwt';

/** Open without a token: liveness, API docs, metrics and the CLOCK=manual test routes. */
const PUBLIC_PATH = /^\/(?:health|metrics|docs|testing)(?:[/?#-]|$)/;

/** Global guard: every route needs `Authorization: Bearer <HS256 JWT>` unless public. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  /** @Public() per handler, looked up once (the guard runs on every request). */
  private readonly publicHandlers = new WeakMap<object, boolean>();

  private isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, context.getClass()]);
      this.publicHandlers.set(handler, isPublic);
    }
    return isPublic;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & RequestWithCaller>();
    if (PUBLIC_PATH.test(request.url)) return true;
    if (this.isPublic(context)) return true;
    const header = request.headers.authorization;
    if (!header) throw unauthenticated('Missing Authorization: Bearer <token> header.');
    const m = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!m) throw unauthenticated('Authorization header must be "Bearer <token>".');
    try {
      request.caller = this.verifier.verify(m[1]);
    } catch (e) {
      if (e instanceof InvalidTokenError) throw unauthenticated(`Invalid token: ${e.message}.`);
      throw e;
    }
    return true;
  }
}
