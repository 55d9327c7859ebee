import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../http/problem';
import { IS_PUBLIC, TOKEN_VERIFIER } from './auth.constants';
import { authenticate } from './authenticate';
import { TokenVerifier } from './jwt';

/** Open without a token: liveness, API docs, metrics and the CLOCK=manual test routes. */
export const PUBLIC_PATH = /^\/(?:health|metrics|docs|testing)(?:[/?#-]|$)/;

/** Global guard: every route needs `Authorization: Bearer <JWT>` unless public. */
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (PUBLIC_PATH.test(request.url)) return true;
    if (this.isPublic(context)) return true;
    const outcome = await authenticate(request, this.verifier);
    if ('refused' in outcome) throw unauthenticated(outcome.refused);
    return true;
  }
}
