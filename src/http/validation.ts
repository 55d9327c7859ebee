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
function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** No DTO nests deeper than a few levels; this leaves room and stops stack-overflow bodies. */
const MAX_DEPTH = 16;

function depthExceeds(root: object): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_DEPTH) return true;
    for (const child of Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

const notAnObject = (value: unknown) =>
  typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value);
const bodyRefused = (message: string) => validationFailed([{ field: 'body', message }]);

/** DTO validation: unknown fields refused, types strict ("5000" is not a number), bodies JSON objects only. */
@Injectable()
export class StrictValidationPipe extends ValidationPipe implements PipeTransform {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ValidationError[]) => validationFailed(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value !== undefined && value !== null) {
      if (notAnObject(value)) throw bodyRefused('body must be a JSON object');
      // class-transformer and the pipe walk values recursively: a deep body would overflow the stack.
      if (depthExceeds(value as object)) throw bodyRefused(`body is nested deeper than ${MAX_DEPTH} levels`);
      // A lone UTF-16 surrogate is not text: no store could keep it as sent (MongoDB stores U+FFFD instead).
      const field = malformedTextPath(value);
      if (field !== null) {
        const message = `${field} must be well-formed Unicode text (it holds a lone surrogate)`;
        throw validationFailed([{ field, message }]);
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

/** `@EmptyBody()`: the body of a command without input, none, `null` or `{}` (documented as `{}`). */
export const EmptyBody = (): ParameterDecorator =>
  Body({
    // The global pipe refused anything but an object; any field is refused as the DTOs refuse them.
    transform(value: unknown): Record<string, never> {
      const keys = Object.keys(value ?? {});
      if (keys.length) {
        throw validationFailed(keys.map((k) => ({ field: k, message: `property ${k} should not exist` })));
      }
      return {};
    },
  });

/** Documents a path parameter as a uuid (for routes that check it with `UuidPipe` themselves). */
export const ApiUuidParam = (name: string): MethodDecorator =>
  ApiParam({ name, schema: { type: 'string', format: 'uuid' } });

/** `@UuidParam('orderId')`: a path parameter that must be a uuid (400 VALIDATION_FAILED otherwise), so documented. */
export const UuidParam =
  (name: string): ParameterDecorator =>
  (target, key, index) => {
    Param(name, new UuidPipe(name))(target, key, index);
    ApiUuidParam(name)(target, key!, Object.getOwnPropertyDescriptor(target, key!)!);
  };
