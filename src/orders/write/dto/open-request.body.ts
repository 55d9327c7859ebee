// POST /orders/:orderId/requests is on the hot command path: its body is checked by hand instead of through
// class-transformer + class-validator, with exactly the errors OpenRequestDto gives (same fields, messages and
// order; open-request.body.spec.ts compares both). OpenRequestDto stays the OpenAPI schema.
import { Injectable, PipeTransform } from '@nestjs/common';
import { FieldError, validationFailed } from '../../../http/problem';
import { ALL_CANCELLATION_REASONS, REQUEST_TYPES, type RequestType } from '../../domain/order.types';
import { MAX_TEXT } from './command-bodies.dto';

/** As OpenRequestDto: `null` passes for the optional fields (typed as absent, as the DTO types them). */
export interface OpenRequestBody {
  type: RequestType;
  reason?: string;
  comment: string;
  proposedDueAt?: string;
}

const KNOWN = new Set(['type', 'reason', 'comment', 'proposedDueAt']);
const TYPE_MESSAGE = `type must be one of the following values: ${REQUEST_TYPES.join(', ')}`;
const REASON_MESSAGE = `reason must be one of the following values: ${ALL_CANCELLATION_REASONS.join(', ')}`;
const MAX_DUE_AT = 64;

/**
 * class-transformer skips keys naming a function the new instance inherits (`toString`, `constructor`,
 * `hasOwnProperty`...): the DTO neither keeps nor refuses them, and neither does this pipe.
 */
const inheritedFunction = (key: string): boolean =>
  typeof (Object.prototype as unknown as Record<string, unknown>)[key] === 'function';

/** What class-validator reports for `@IsString() @IsNotEmpty() @MaxLength(max)` (decorators apply bottom-up). */
function checkText(
  errors: FieldError[],
  field: string,
  value: unknown,
  max: number,
  required: boolean,
): void {
  if (!required && (value === undefined || value === null)) return;
  const isString = typeof value === 'string';
  if (!isString || value.length > max) {
    errors.push({ field, message: `${field} must be shorter than or equal to ${max} characters` });
  }
  if (required && (value === '' || value === null || value === undefined)) {
    errors.push({ field, message: `${field} should not be empty` });
  }
  if (!isString) errors.push({ field, message: `${field} must be a string` });
}

export function parseOpenRequestBody(value: unknown): OpenRequestBody {
  // The global StrictValidationPipe has already refused non-objects and over-deep bodies; no body counts as {}.
  const body = (value ?? {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key) && !inheritedFunction(key)) {
      errors.push({ field: key, message: `property ${key} should not exist` });
    }
  }
  const own = (key: string): unknown => (Object.hasOwn(body, key) ? body[key] : undefined);
  const type = own('type');
  const reason = own('reason');
  const comment = own('comment');
  const proposedDueAt = own('proposedDueAt');
  if (!(REQUEST_TYPES as readonly unknown[]).includes(type))
    errors.push({ field: 'type', message: TYPE_MESSAGE });
  if (
    reason !== undefined &&
    reason !== null &&
    !(ALL_CANCELLATION_REASONS as readonly unknown[]).includes(reason)
  ) {
    errors.push({ field: 'reason', message: REASON_MESSAGE });
  }
  checkText(errors, 'comment', comment, MAX_TEXT, true);
  checkText(errors, 'proposedDueAt', proposedDueAt, MAX_DUE_AT, false);
  if (errors.length) throw validationFailed(errors);
  const out: OpenRequestBody = { type: type as RequestType, comment: comment as string };
  if (reason !== undefined) out.reason = reason as string;
  if (proposedDueAt !== undefined) out.proposedDueAt = proposedDueAt as string;
  return out;
}

/** `@Body(OpenRequestBodyPipe)`: the open-request body, validated as OpenRequestDto validates it. */
@Injectable()
export class OpenRequestBodyPipe implements PipeTransform<unknown, OpenRequestBody> {
  transform(value: unknown): OpenRequestBody {
    return parseOpenRequestBody(value);
  }
}
