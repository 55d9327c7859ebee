// Domain refusals carry the contract's machine-readable code; the HTTP layer maps code -> status.

export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'FORBIDDEN'
  | 'ORDER_NOT_FOUND'
  | 'REQUEST_NOT_FOUND'
  | 'OFFER_NOT_FOUND'
  | 'ORDER_ALREADY_EXISTS'
  | 'RESOLUTION_CENTER_UNAVAILABLE'
  | 'REQUEST_ALREADY_OPEN'
  | 'REQUEST_NOT_OPEN'
  | 'CANCELLATION_NOT_ALLOWED'
  | 'INVALID_STATE'
  | 'CASE_NOT_FOUND'
  | 'CASE_ALREADY_OPEN'
  | 'CASE_NOT_OPEN'
  | 'REFUND_NOT_ALLOWED';

export const STATUS_OF_CODE: Record<DomainErrorCode, number> = {
  VALIDATION_FAILED: 400,
  FORBIDDEN: 403,
  ORDER_NOT_FOUND: 404,
  REQUEST_NOT_FOUND: 404,
  OFFER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  RESOLUTION_CENTER_UNAVAILABLE: 409,
  REQUEST_ALREADY_OPEN: 409,
  REQUEST_NOT_OPEN: 409,
  CANCELLATION_NOT_ALLOWED: 409,
  INVALID_STATE: 409,
  CASE_NOT_FOUND: 404,
  CASE_ALREADY_OPEN: 409,
  CASE_NOT_OPEN: 409,
  REFUND_NOT_ALLOWED: 409,
};

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** For VALIDATION_FAILED: the offending field (e.g. `reason`, `proposedDueAt`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
