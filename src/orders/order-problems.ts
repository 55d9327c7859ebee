// How the order domain's refusals meet HTTP: the codes' titles and statuses, handed to the edge at the composition
// root (HttpModule.forRoot), which also documents them (`@ApiProblems` on the order routes).
import { makeProblem, type Problem, type ProblemCode, type ProductProblems } from '../http/problem';
import { DomainError, STATUS_OF_CODE, type DomainErrorCode } from './domain/errors';

const TITLES: Record<DomainErrorCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  FORBIDDEN: 'Forbidden',
  ORDER_NOT_FOUND: 'Order not found',
  REQUEST_NOT_FOUND: 'Request not found',
  OFFER_NOT_FOUND: 'Extras offer not found',
  ORDER_ALREADY_EXISTS: 'Order already exists',
  RESOLUTION_CENTER_UNAVAILABLE: 'Resolution Center unavailable',
  REQUEST_ALREADY_OPEN: 'A request is already open',
  REQUEST_NOT_OPEN: 'Request not open',
  CANCELLATION_NOT_ALLOWED: 'Cancellation not allowed',
  INVALID_STATE: 'Invalid state',
  CASE_NOT_FOUND: 'Support case not found',
  CASE_ALREADY_OPEN: 'A support case is already open',
  CASE_NOT_OPEN: 'Support case not open',
  REFUND_NOT_ALLOWED: 'Refund not allowed',
};

export const ORDER_PROBLEM_CODES: Record<string, ProblemCode> = Object.fromEntries(
  (Object.keys(TITLES) as DomainErrorCode[]).map((code) => [
    code,
    { status: STATUS_OF_CODE[code], title: TITLES[code] },
  ]),
);

export function problemOfDomainError(e: DomainError): Problem {
  const status = STATUS_OF_CODE[e.code] ?? 409;
  const errors = status === 400 ? [{ field: e.field ?? '', message: e.message }] : undefined;
  return makeProblem(status, e.code, e.message, errors, TITLES[e.code]);
}

export const ORDER_PROBLEMS: ProductProblems = {
  codes: ORDER_PROBLEM_CODES,
  problemOf: (error) => (error instanceof DomainError ? problemOfDomainError(error) : undefined),
};

export { ApiProblems } from '../http/openapi';
