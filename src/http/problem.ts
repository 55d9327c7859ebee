// RFC 9457 problem details: the one error shape of the API, whatever the error's origin.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WrongExpectedRevisionError } from '../platform/event-store/event-store.port';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldErrorDto {
  @ApiProperty({ example: 'price.amount' })
  field!: string;
  @ApiProperty({ example: 'amount must not be less than 1' })
  message!: string;
}

/** RFC 9457 problem details, as every error is answered (and documented). */
export class ProblemDto {
  @ApiProperty({ example: 'urn:resolution-center:problem:request-already-open' })
  type!: string;
  @ApiProperty({ example: 'A request is already open' })
  title!: string;
  @ApiProperty({ type: 'integer', example: 409 })
  status!: number;
  @ApiProperty({ example: 'a request is already open on this order' })
  detail!: string;
  @ApiProperty({
    description: 'Machine-readable code; each route lists its own',
    example: 'REQUEST_ALREADY_OPEN',
  })
  code!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on 400 VALIDATION_FAILED' })
  errors?: FieldErrorDto[];
}

export type FieldError = FieldErrorDto;
export type Problem = ProblemDto;

/** A code the API answers with: its status and the problem's title. */
export interface ProblemCode {
  status: number;
  title: string;
}

/** The codes of HTTP itself and of the platform: transport, auth, validation, concurrency, idempotency. */
export const HTTP_PROBLEM_CODES: Record<string, ProblemCode> = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONCURRENCY_CONFLICT: { status: 409, title: 'Concurrency conflict' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency key in use' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  INTERNAL: { status: 500, title: 'Internal server error' },
};

/** What the product hands the edge at the composition root: its own codes, and the problem of its errors. */
export interface ProductProblems {
  codes: Record<string, ProblemCode>;
  /** The problem for one of the product's own errors; undefined for anything else. */
  problemOf(error: unknown): Problem | undefined;
}

export const PRODUCT_PROBLEMS = Symbol('PRODUCT_PROBLEMS');

export function makeProblem(
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  title = HTTP_PROBLEM_CODES[code]?.title ?? code,
): Problem {
  const type = `urn:resolution-center:problem:${code.toLowerCase().replace(/_/g, '-')}`;
  const problem: Problem = { type, title, status, detail, code };
  if (errors) problem.errors = errors;
  else if (status === 400) problem.errors = [];
  return problem;
}

/** An HTTP error with a machine-readable code; the filter renders it as problem+json. */
export class ProblemException extends HttpException {
  readonly problem = this.getResponse() as Problem;
  constructor(status: number, code: string, detail: string, errors?: FieldError[]) {
    super(makeProblem(status, code, detail, errors), status);
  }
}

export const validationFailed = (errors: FieldError[], detail = 'The request is not valid.') =>
  new ProblemException(400, 'VALIDATION_FAILED', detail, errors);

export const unauthenticated = (detail: string): ProblemException =>
  new ProblemException(401, 'UNAUTHENTICATED', detail);

/** A problem recorded earlier (idempotent replay): rendered verbatim. */
export class RecordedProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem, problem.status);
  }
}

/** The global error boundary: other 4xx (bad JSON, content type) are 400s; only the unforeseen is a 500, logged. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(@Inject(PRODUCT_PROBLEMS) private readonly product: ProductProblems) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = this.toProblem(error, request);
    if (problem.status >= 500) {
      this.logger.error(
        `${request?.method} ${request?.url} failed: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
    if (!reply || reply.sent) return;
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(error: unknown, request?: FastifyRequest): Problem {
    if (error instanceof ProblemException || error instanceof RecordedProblemException) return error.problem;
    const productProblem = this.product.problemOf(error);
    if (productProblem) return productProblem;
    // The command handler's optimistic retries ran out: the order kept changing under it.
    if (error instanceof WrongExpectedRevisionError) {
      return makeProblem(
        409,
        'CONCURRENCY_CONFLICT',
        'The order kept changing while the command was applied; retry.',
      );
    }
    const [status, message] = statusAndMessage(error) ?? [500, ''];
    switch (status) {
      case 401:
        return makeProblem(401, 'UNAUTHENTICATED', message);
      case 403:
        return makeProblem(403, 'FORBIDDEN', message);
      case 404:
      case 405:
        return makeProblem(
          404,
          'NOT_FOUND',
          request ? `No route ${request.method} ${request.url.split('?')[0]}` : message,
        );
      case 413:
        return makeProblem(413, 'PAYLOAD_TOO_LARGE', 'The body is over the limit of 65,536 bytes.');
      case 503:
        return makeProblem(503, 'SERVICE_UNAVAILABLE', message);
    }
    if (status >= 400 && status < 500) {
      // Body parsing, content type: the request is malformed.
      return makeProblem(400, 'VALIDATION_FAILED', message, [{ field: 'body', message }]);
    }
    return makeProblem(500, 'INTERNAL', 'An unexpected error occurred.');
  }
}

/** The status and message of Nest's HttpExceptions and of fastify's own errors (FST_ERR_* with a status). */
function statusAndMessage(error: unknown): [number, string] | undefined {
  if (error instanceof HttpException) return [error.getStatus(), error.message];
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (typeof e?.statusCode !== 'number' || typeof e.code !== 'string') return undefined;
  return [e.statusCode, typeof e.message === 'string' ? e.message : 'Bad request'];
}
