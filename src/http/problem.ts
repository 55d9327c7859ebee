// RFC 9457 problem details: the one error shape of the API. Every error, whatever its origin (domain, validation,
// auth, fastify's own body parsing, an unexpected bug), ends up as one of these.
import { HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

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

/**
 * What the product hands the edge at the composition root: its own error codes and how its errors (the domain's
 * refusals) become problems. HTTP knows no domain; it asks this.
 */
export interface ProductProblems {
  codes: Record<string, ProblemCode>;
  /** The problem for one of the product's own errors; undefined for anything else. */
  problemOf(error: unknown): Problem | undefined;
}

export const PRODUCT_PROBLEMS = Symbol('PRODUCT_PROBLEMS');

export function problemTypeOf(code: string): string {
  return `urn:resolution-center:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function makeProblem(
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  title = HTTP_PROBLEM_CODES[code]?.title ?? code,
): Problem {
  const problem: Problem = { type: problemTypeOf(code), title, status, detail, code };
  if (errors) problem.errors = errors;
  else if (status === 400) problem.errors = [];
  return problem;
}

/** An HTTP error with a machine-readable code; the filter renders it as problem+json. */
export class ProblemException extends HttpException {
  readonly problem: Problem;
  constructor(status: number, code: string, detail: string, errors?: FieldError[]) {
    const problem = makeProblem(status, code, detail, errors);
    super(problem, status);
    this.problem = problem;
  }
}

export const validationFailed = (
  errors: FieldError[],
  detail = 'The request is not valid.',
): ProblemException => new ProblemException(400, 'VALIDATION_FAILED', detail, errors);

export const unauthenticated = (detail: string): ProblemException =>
  new ProblemException(401, 'UNAUTHENTICATED', detail);

/** A problem recorded earlier (idempotent replay): rendered verbatim. */
export class RecordedProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem, problem.status);
  }
}
