import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader } from '@nestjs/swagger';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerOf, type RequestWithCaller } from '../../auth/current-caller.decorator';
import type { IdempotencyRequest } from '../../http/idempotency/idempotency.context';
import { correlationIdOf } from '../../http/edge';
import { idempotencyRequestOf } from '../../http/idempotency/idempotency.service';
import type { Caller } from '../domain/order.types';
import { ApiProblems } from '../order-problems';

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
    // Taken from the request (or made) and echoed by the edge on every response.
    const correlationId = correlationIdOf(req);
    return {
      caller,
      correlationId,
      successStatus: (Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) as number | undefined) ?? 200,
      idempotency: idempotencyRequestOf(req),
      reply,
    };
  },
);

/** The OpenAPI of a command controller: bearer auth, and the headers and problems of what CommandContext reads. */
export const CommandRoutes = (): ClassDecorator =>
  // Applied in this order, as the decorators stacked on a class were (bottom up): the document is unchanged.
  applyDecorators(
    ApiProblems('IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_USE'),
    ApiHeader({
      name: 'X-Correlation-Id',
      required: false,
      description: 'Recorded on the events; echoed back',
    }),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Retries with the same key and body get the same response; nothing is applied twice',
    }),
    ApiBearerAuth(),
  );
