// Read-your-writes (api.md): `?minPosition=` waits (≤ 5 s) until the route's read model has processed it, and every
// response carries `X-Read-Model-Position`. On a route or a controller: `@ReadYourWrites('orders')`.
import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  mixin,
  NestInterceptor,
  PipeTransform,
  UseInterceptors,
} from '@nestjs/common';
import { ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { EVENT_STORE, type EventStore } from '../platform/event-store/event-store.port';
import { ProjectionEngine } from '../platform/projections/projection-engine';
import { validationFailed, type FieldError } from './problem';

export const READ_MODEL_POSITION_HEADER = 'X-Read-Model-Position';
const POSITION = /^\d{1,40}$/;

/** OpenAPI description of the header, for `@ApiOkResponse({ headers: READ_MODEL_POSITION_HEADER_DOC })`. */
export const READ_MODEL_POSITION_HEADER_DOC = {
  [READ_MODEL_POSITION_HEADER]: {
    description:
      'Global position the read model serving this response has processed (decimal string; "0": nothing yet)',
    schema: { type: 'string', example: '1042' },
  },
};

/** Base of every GET route's query DTO: the read-your-writes parameter. */
export class ReadQueryDto {
  @ApiPropertyOptional({
    description:
      'Wait (at most 5 s) until the read model has processed this global position (the `position` of a command ' +
      'response), then answer',
    example: '1042',
    pattern: '^\\d{1,40}$',
  })
  @IsOptional()
  @Matches(POSITION, { message: 'minPosition must be a decimal position' })
  minPosition?: string;
}

/** Waits for a well-formed `minPosition` (a malformed one is the query's 400), then gives the header's position. */
export async function awaitReadModel(
  engine: ProjectionEngine,
  projections: string[],
  minPosition: unknown,
): Promise<string | null> {
  if (typeof minPosition === 'string' && POSITION.test(minPosition)) {
    await engine.waitForPosition(minPosition, 5000, projections);
  }
  return engine.currentPosition(projections);
}

/** Marks a route (or controller) as served by these projections (none: by the event store, always current). */
export function ReadYourWrites(...projections: string[]): MethodDecorator & ClassDecorator {
  @Injectable()
  class ReadModelPosition implements NestInterceptor {
    constructor(
      private readonly engine: ProjectionEngine,
      @Inject(EVENT_STORE) private readonly events: EventStore,
    ) {}

    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      const http = context.switchToHttp();
      const query = http.getRequest<FastifyRequest>().query as { minPosition?: unknown } | undefined;
      const position =
        projections.length === 0
          ? await this.events.headPosition()
          : await awaitReadModel(this.engine, projections, query?.minPosition);
      http.getResponse<FastifyReply>().header(READ_MODEL_POSITION_HEADER, position ?? '0');
      return next.handle();
    }
  }
  return UseInterceptors(mixin(ReadModelPosition));
}

/** A query of `minPosition` alone, checked as a DTO would be but without class-validator (for the hottest read). */
export class MinPositionOnlyQueryPipe implements PipeTransform<unknown, { minPosition?: string }> {
  transform(value: unknown): { minPosition?: string } {
    const query = (value ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = Object.keys(query)
      .filter((key) => key !== 'minPosition')
      .map((key) => ({ field: key, message: `property ${key} should not exist` }));
    const min = query.minPosition;
    if (min !== undefined && (typeof min !== 'string' || !POSITION.test(min))) {
      errors.push({ field: 'minPosition', message: 'minPosition must be a decimal position' });
    }
    if (errors.length) throw validationFailed(errors);
    return min === undefined ? {} : { minPosition: min as string };
  }
}

/** For routes without a query DTO: documents `minPosition` in OpenAPI. */
export const ApiMinPositionQuery = (): MethodDecorator =>
  ApiQuery({
    name: 'minPosition',
    required: false,
    description: 'Wait (at most 5 s) until the read model has processed this global position',
    schema: { type: 'string', pattern: '^\\d{1,40}$' },
  });
