// Read-your-writes for GET routes (api.md): `?minPosition=<position>` waits (≤ 5 s) until the read model serving
// the route has processed that position, then answers with what it has; every response carries
// `X-Read-Model-Position`. Usage on a route (or a controller):
//
//   @ReadYourWrites('orders')          // served by the `orders` projection
//   @ReadYourWrites()                  // served by the event store itself (e.g. the history): always current
//
// and the route's query DTO extends ReadQueryDto (so `minPosition` passes the strict validation).
import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  PipeTransform,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { Observable } from 'rxjs';
import { EVENT_STORE, type EventStore } from '../platform/event-store/event-store.port';
import { validationFailed, type FieldError } from './problem';
import { ProjectionEngine } from '../platform/projections/projection-engine';

export const READ_MODEL_POSITION_HEADER = 'X-Read-Model-Position';
export const READ_YOUR_WRITES_MAX_WAIT_MS = 5000;
const READ_MODEL_KEY = 'read-side:projections';
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

@Injectable()
export class ReadModelPositionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly engine: ProjectionEngine,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const projections = this.reflector.getAllAndOverride<string[] | undefined>(READ_MODEL_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (projections === undefined) return next.handle();
    const http = context.switchToHttp();
    const query = (http.getRequest<{ query?: Record<string, unknown> }>().query ?? {}) as Record<
      string,
      unknown
    >;
    const reply = http.getResponse<{ header(name: string, value: string): unknown }>();
    const min = query.minPosition;
    let position: string | null;
    if (projections.length === 0) {
      position = await this.events.headPosition();
    } else {
      position = await awaitReadModel(this.engine, projections, min);
    }
    reply.header(READ_MODEL_POSITION_HEADER, position ?? '0');
    return next.handle();
  }
}

/**
 * Waits (≤ 5 s) until these projections have processed `minPosition` when it is well-formed (a malformed one is
 * left to the query's validation: 400), then returns their position, for the header. Read before the handler
 * runs: the handler then sees at least this position. The interceptor's steps, for routes doing them inline.
 */
export async function awaitReadModel(
  engine: ProjectionEngine,
  projections: string[],
  minPosition: unknown,
): Promise<string | null> {
  if (typeof minPosition === 'string' && POSITION.test(minPosition)) {
    await engine.waitForPosition(minPosition, READ_YOUR_WRITES_MAX_WAIT_MS, projections);
  }
  return engine.currentPosition(projections);
}

/**
 * Marks a route (or controller) as served by these projections (none: by the event store), waits for
 * `?minPosition` and sets the `X-Read-Model-Position` header. Documents the query parameter in OpenAPI when
 * the route has no DTO declaring it.
 */
export function ReadYourWrites(...projections: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(READ_MODEL_KEY, projections),
    UseInterceptors(ReadModelPositionInterceptor),
  );
}

/**
 * The query of a route whose only parameter is `minPosition`, checked without class-validator (the order page
 * is the hottest read): unknown parameters and a malformed position are 400 VALIDATION_FAILED, like a DTO's.
 */
@Injectable()
export class MinPositionOnlyQueryPipe implements PipeTransform<unknown, { minPosition?: string }> {
  transform(value: unknown): { minPosition?: string } {
    const query = (value ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const key of Object.keys(query)) {
      if (key !== 'minPosition') errors.push({ field: key, message: `property ${key} should not exist` });
    }
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
