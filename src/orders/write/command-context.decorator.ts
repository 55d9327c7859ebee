import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { callerOf, type RequestWithCaller } from '../../auth/current-caller.decorator';
import type { IdempotencyRequest } from '../../http/idempotency/idempotency.context';
import { IDEMPOTENCY_HEADER, idempotencyRequestOf } from '../../http/idempotency/idempotency.service';
import type { Caller } from '../domain/order.types';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CommandRequestContext {
  caller: Caller;
  correlationId: string;
  /** The route's @HttpCode: what an idempotent replay of a success answers with. */
  successStatus: number;
  /** Present when the request carries an Idempotency-Key (validated: a malformed one is a 400). */
  idempotency?: IdempotencyRequest;
  reply: FastifyReply;
}

/**
 * What a command needs from its HTTP request: the caller, the correlation id (x-correlation-id when well-formed,
 * else a new one; echoed back) and the Idempotency-Key.
 */
export const CommandContext = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): CommandRequestContext => {
    const http = ctx.switchToHttp();
    const req = http.getRequest<FastifyRequest & RequestWithCaller>();
    const reply = http.getResponse<FastifyReply>();
    const caller = callerOf<Caller>(req);
    const given = req.headers[CORRELATION_HEADER];
    const correlationId = typeof given === 'string' && CORRELATION_RE.test(given) ? given : randomUUID();
    reply.header(CORRELATION_HEADER, correlationId);
    return {
      caller,
      correlationId,
      successStatus: (Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) as number | undefined) ?? 200,
      idempotency: idempotencyRequestOf(req.headers[IDEMPOTENCY_HEADER], req.method, req.url, req.body),
      reply,
    };
  },
);
