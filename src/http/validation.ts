import {
  ArgumentMetadata,
  Body,
  Injectable,
  Param,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { malformedTextPath } from '../platform/read-store/read-store.port';
import { FieldError, validationFailed } from './problem';

/** Any RFC 9562 uuid (versions 1-8, nil, max): ids are generated as v4, derived ones as v8. */
export const UUID_RE =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/i;

/** class-validator's nested errors, flattened to `{ field: 'price.amount', message }`. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** No DTO nests deeper than a few levels; this leaves room and stops stack-overflow bodies. */
const MAX_DEPTH = 16;

/** Iterative, so it cannot overflow the stack itself. */
function depthExceeds(root: object, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * DTO validation: unknown fields refused, types strict (no implicit conversion: "5000" is not a number), and a
 * body that is not a JSON object (an array, a string, a number) refused before class-transformer sees it.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe implements PipeTransform {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ValidationError[]) => validationFailed(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      value !== null &&
      (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value))
    ) {
      throw validationFailed([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    // class-transformer and the pipe walk values recursively: a pathologically deep body would overflow the stack.
    if (
      metadata.type === 'body' &&
      value !== null &&
      typeof value === 'object' &&
      depthExceeds(value, MAX_DEPTH)
    ) {
      throw validationFailed([{ field: 'body', message: `body is nested deeper than ${MAX_DEPTH} levels` }]);
    }
    // A lone UTF-16 surrogate ("\ud800" in the JSON) is not text: MongoDB would store U+FFFD in its place, so
    // no store could keep it as sent. Refused here, once, for every route.
    if (metadata.type === 'body' && value !== null && typeof value === 'object') {
      const field = malformedTextPath(value);
      if (field !== null) {
        throw validationFailed([
          { field, message: `${field} must be well-formed Unicode text (it holds a lone surrogate)` },
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}

@Injectable()
export class UuidPipe implements PipeTransform<unknown, string> {
  constructor(private readonly field: string) {}
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID_RE.test(value)) {
      throw validationFailed([{ field: this.field, message: `${this.field} must be a uuid` }]);
    }
    return value.toLowerCase();
  }
}

/** Bodies of commands without input: nothing, `null` or `{}`; any field is refused as the DTOs refuse them. */
@Injectable()
export class EmptyBodyPipe implements PipeTransform<unknown, Record<string, never>> {
  transform(value: unknown): Record<string, never> {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw validationFailed([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    const keys = Object.keys(value);
    if (keys.length) {
      throw validationFailed(keys.map((k) => ({ field: k, message: `property ${k} should not exist` })));
    }
    return {};
  }
}

/** `@EmptyBody()`: the body of a command without input (documented as `{}`). */
export const EmptyBody = (): ParameterDecorator => Body(EmptyBodyPipe);

/** Documents a path parameter as a uuid (for routes that check it with `UuidPipe` themselves). */
export const ApiUuidParam = (name: string): MethodDecorator =>
  ApiParam({ name, schema: { type: 'string', format: 'uuid' } });

/** `@UuidParam('orderId')`: a path parameter that must be a uuid (400 VALIDATION_FAILED otherwise), so documented. */
export const UuidParam =
  (name: string): ParameterDecorator =>
  (target, key, index) => {
    Param(name, new UuidPipe(name))(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && descriptor) ApiUuidParam(name)(target, key, descriptor);
  };
