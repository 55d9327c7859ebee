// RFC 9457 problem details: the one error shape of the API. Every error, whatever its origin (domain, validation,
// auth, fastify's own body parsing, an unexpected bug), ends up as one of these.
import { HttpException } from '@nestjs/common';
import { DomainError, STATUS_OF_CODE } from '../orders/domain/errors';

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

/** Codes beyond the domain's: transport, auth, concurrency and idempotency. */
export type HttpErrorCode =
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'CONCURRENCY_CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

const TITLES: Record<string, string> = {
  VALIDATION_FAILED: 'Validation failed',
  UNAUTHENTICATED: 'Unauthenticated',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  ORDER_NOT_FOUND: 'Order not found',
  REQUEST_NOT_FOUND: 'Request not found',
  OFFER_NOT_FOUND: 'Extras offer not found',
  ORDER_ALREADY_EXISTS: 'Order already exists',
  RESOLUTION_CENTER_UNAVAILABLE: 'Resolution Center unavailable',
  REQUEST_ALREADY_OPEN: 'A request is already open',
  REQUEST_NOT_OPEN: 'Request not open',
  CANCELLATION_NOT_ALLOWED: 'Cancellation not allowed',
  INVALID_STATE: 'Invalid state',
  CONCURRENCY_CONFLICT: 'Concurrency conflict',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused',
  IDEMPOTENCY_KEY_IN_USE: 'Idempotency key in use',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal server error',
};

/** Every code the API answers with, and its status: the OpenAPI document lists them. */
export const HTTP_STATUS_OF_CODE: Record<string, number> = {
  ...STATUS_OF_CODE,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  CONCURRENCY_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_USE: 409,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export function problemTypeOf(code: string): string {
  return `urn:resolution-center:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function makeProblem(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  const problem: Problem = { type: problemTypeOf(code), title: TITLES[code] ?? code, status, detail, code };
  if (errors) problem.errors = errors;
  else if (status === 400) problem.errors = [];
  return problem;
}

/** An HTTP error with a machine-readable code; the filter renders it as problem+json. */
export class ProblemException extends HttpException {
  readonly problem: Problem;
  constructor(
    status: number,
    code: HttpErrorCode | DomainError['code'],
    detail: string,
    errors?: FieldError[],
  ) {
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

export function problemOfDomainError(e: DomainError): Problem {
  const status = STATUS_OF_CODE[e.code] ?? 409;
  const errors = status === 400 ? [{ field: e.field ?? '', message: e.message }] : undefined;
  return makeProblem(status, e.code, e.message, errors);
}
