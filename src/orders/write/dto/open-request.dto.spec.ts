// OpenRequestDto is the only shape check of POST /orders/:orderId/requests (the decider checks the rules): what it
// refuses, with which field errors, and a property that it accepts exactly the well-shaped bodies.
import 'reflect-metadata';
import fc from 'fast-check';
import { ProblemException } from '../../../http/problem';
import { StrictValidationPipe } from '../../../http/validation';
import { REQUEST_TYPES } from '../../domain/order.types';
import { MAX_MINOR_UNITS, MAX_TEXT, OpenRequestDto, REQUEST_REASONS } from './command-bodies.dto';

const pipe = new StrictValidationPipe();

type Outcome = { ok: Record<string, unknown> } | { errors: unknown };

async function validate(body: unknown): Promise<Outcome> {
  try {
    const dto = (await pipe.transform(body, { type: 'body', metatype: OpenRequestDto })) as OpenRequestDto;
    return { ok: { ...dto } };
  } catch (e) {
    return { errors: (e as ProblemException).problem.errors };
  }
}

const TYPE = {
  field: 'type',
  message: `type must be one of the following values: ${REQUEST_TYPES.join(', ')}`,
};
const REASON = {
  field: 'reason',
  message: `reason must be one of the following values: ${REQUEST_REASONS.join(', ')}`,
};
const COMMENT_LENGTH = {
  field: 'comment',
  message: 'comment must be shorter than or equal to 10000 characters',
};
const COMMENT_EMPTY = { field: 'comment', message: 'comment should not be empty' };
const COMMENT_STRING = { field: 'comment', message: 'comment must be a string' };
const DUE_LENGTH = {
  field: 'proposedDueAt',
  message: 'proposedDueAt must be shorter than or equal to 64 characters',
};
const DUE_STRING = { field: 'proposedDueAt', message: 'proposedDueAt must be a string' };
const AMOUNT_MAX = { field: 'amount', message: `amount must not be greater than ${MAX_MINOR_UNITS}` };
const AMOUNT_MIN = { field: 'amount', message: 'amount must not be less than 1' };
const AMOUNT_INT = { field: 'amount', message: 'amount must be an integer number' };
const NO_COMMENT = [COMMENT_LENGTH, COMMENT_EMPTY, COMMENT_STRING];

describe('OpenRequestDto', () => {
  it.each<[string, unknown, unknown[]]>([
    ['no body', undefined, [TYPE, ...NO_COMMENT]],
    ['an empty object', {}, [TYPE, ...NO_COMMENT]],
    ['an unknown type', { type: 'refund', comment: 'c' }, [TYPE]],
    ['an array for the type', { type: ['order_update'], comment: 'c' }, [TYPE]],
    ['an unknown reason', { type: 'cancellation', reason: 'because', comment: 'c' }, [REASON]],
    ['an empty comment', { type: 'order_update', comment: '' }, [COMMENT_EMPTY]],
    [
      'a comment over 10,000 characters',
      { type: 'order_update', comment: 'x'.repeat(10_001) },
      [COMMENT_LENGTH],
    ],
    ['a comment that is a number', { type: 'order_update', comment: 5 }, [COMMENT_LENGTH, COMMENT_STRING]],
    [
      'a comment that is an object',
      { type: 'order_update', comment: { text: 'c' } },
      [COMMENT_LENGTH, COMMENT_STRING],
    ],
    [
      'a proposedDueAt over 64 characters',
      { type: 'delivery_extension', comment: 'c', proposedDueAt: 'y'.repeat(65) },
      [DUE_LENGTH],
    ],
    [
      'a proposedDueAt that is not a string',
      { type: 'delivery_extension', comment: 'c', proposedDueAt: 7 },
      [DUE_LENGTH, DUE_STRING],
    ],
    [
      'an unknown field',
      { type: 'order_update', comment: 'c', priority: 'high' },
      [{ field: 'priority', message: 'property priority should not exist' }],
    ],
    [
      'a field in the wrong case',
      { Type: 'order_update', comment: 'c' },
      [{ field: 'Type', message: 'property Type should not exist' }, TYPE],
    ],
    [
      'nulls everywhere',
      { type: null, reason: null, comment: null, proposedDueAt: null },
      [TYPE, ...NO_COMMENT],
    ],
    [
      'wrong types everywhere',
      { type: 1, reason: 5, comment: 5, proposedDueAt: 7 },
      [TYPE, REASON, COMMENT_LENGTH, COMMENT_STRING, DUE_LENGTH, DUE_STRING],
    ],
    [
      'an amount that is not a whole number',
      { type: 'partial_refund', reason: 'other', comment: 'c', amount: 10.5 },
      [AMOUNT_INT],
    ],
    [
      'an amount that is a string',
      { type: 'partial_refund', reason: 'other', comment: 'c', amount: '1000' },
      [AMOUNT_MAX, AMOUNT_MIN, AMOUNT_INT],
    ],
    ['an amount of 0', { type: 'partial_refund', reason: 'other', comment: 'c', amount: 0 }, [AMOUNT_MIN]],
  ])('refuses %s, with its field errors', async (_name, body, errors) => {
    expect(await validate(body)).toEqual({ errors });
  });

  it.each<[string, unknown, Record<string, unknown>]>([
    [
      'a cancellation',
      { type: 'cancellation', reason: 'no_longer_needed', comment: 'c' },
      { type: 'cancellation', reason: 'no_longer_needed', comment: 'c' },
    ],
    [
      'an extension',
      { type: 'delivery_extension', comment: 'c', proposedDueAt: '2030-01-01T00:00:00.000Z' },
      { type: 'delivery_extension', comment: 'c', proposedDueAt: '2030-01-01T00:00:00.000Z' },
    ],
    [
      'a partial refund (amount and a partial refund reason)',
      { type: 'partial_refund', reason: 'delay_compensation', comment: 'c', amount: 1500 },
      { type: 'partial_refund', reason: 'delay_compensation', comment: 'c', amount: 1500 },
    ],
    [
      'a 10,000-character comment',
      { type: 'order_update', comment: 'x'.repeat(10_000) },
      { type: 'order_update', comment: 'x'.repeat(10_000) },
    ],
    [
      'nulls for the optional fields (the decider refuses them where they are needed)',
      { type: 'order_update', comment: 'c', reason: null, proposedDueAt: null },
      { type: 'order_update', comment: 'c', reason: null, proposedDueAt: null },
    ],
    [
      'names of inherited functions, which class-transformer neither keeps nor refuses',
      { toString: 1, constructor: 2, type: 'cancellation', comment: 'a' },
      { type: 'cancellation', comment: 'a' },
    ],
  ])('accepts %s', async (_name, body, ok) => {
    expect(await validate(body)).toEqual({ ok });
  });

  /** api.md's shape of the body, written out independently of the decorators. */
  function wellShaped(body: Record<string, unknown> | undefined): boolean {
    const b = body ?? {};
    const known = ['type', 'reason', 'comment', 'proposedDueAt', 'amount'];
    const inherited = (k: string) =>
      typeof (Object.prototype as unknown as Record<string, unknown>)[k] === 'function';
    if (Object.keys(b).some((k) => !known.includes(k) && !inherited(k))) return false;
    const own = (k: string): unknown => (Object.hasOwn(b, k) ? b[k] : undefined);
    const { type, reason, comment, proposedDueAt, amount } = Object.fromEntries(
      known.map((k) => [k, own(k)]),
    );
    return (
      (REQUEST_TYPES as readonly unknown[]).includes(type) &&
      (reason == null || REQUEST_REASONS.includes(reason as string)) &&
      (amount == null ||
        (typeof amount === 'number' &&
          Number.isInteger(amount) &&
          amount >= 1 &&
          amount <= MAX_MINOR_UNITS)) &&
      typeof comment === 'string' &&
      comment.trim().length > 0 &&
      comment.length <= MAX_TEXT &&
      (proposedDueAt == null || (typeof proposedDueAt === 'string' && proposedDueAt.length <= 64))
    );
  }

  const value = fc.oneof(
    fc.constantFrom(...REQUEST_TYPES, ...REQUEST_REASONS, '', ' ', 'x'.repeat(64), 'x'.repeat(65)),
    fc.constantFrom(0, -1, 1, 1.5, 600, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom('x'.repeat(10_000), 'x'.repeat(10_001)),
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  );
  const key = fc.constantFrom(
    'type',
    'reason',
    'comment',
    'proposedDueAt',
    'amount',
    'extra',
    'toString',
    'constructor',
    'hasOwnProperty',
    'valueOf',
    'Type',
  );

  // Mostly valid fields, each sometimes wrong or absent, sometimes with one more key: near the boundary.
  const maybe = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: value });
  const nearlyWellShaped = fc
    .tuple(
      fc.record(
        {
          type: maybe(fc.constantFrom(...REQUEST_TYPES)),
          reason: maybe(fc.constantFrom(...REQUEST_REASONS)),
          amount: maybe(fc.integer({ min: 1, max: 100_000 })),
          comment: maybe(fc.string({ minLength: 1, maxLength: 20 })),
          proposedDueAt: maybe(fc.constantFrom('2030-01-01T00:00:00.000Z', '')),
        },
        { requiredKeys: ['type', 'comment'] },
      ),
      fc.option(fc.dictionary(key, value, { maxKeys: 1 }), { nil: undefined }),
    )
    .map(([fields, extra]) => ({ ...extra, ...fields }));

  it('property: accepts exactly the well-shaped bodies; a refusal names only fields of the body or the DTO', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof(nearlyWellShaped, fc.dictionary(key, value, { maxKeys: 6 })), { nil: undefined }),
        async (generated) => {
          // As the body arrives from the JSON parser: own enumerable data properties only.
          const body =
            generated === undefined
              ? undefined
              : (JSON.parse(JSON.stringify(generated)) as Record<string, unknown>);
          const outcome = await validate(body);
          expect('ok' in outcome).toBe(wellShaped(body));
          if ('errors' in outcome) {
            const fields = new Set([
              ...Object.keys(body ?? {}),
              'type',
              'reason',
              'comment',
              'proposedDueAt',
              'amount',
            ]);
            for (const e of outcome.errors as Array<{ field: string }>)
              expect(fields.has(e.field)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
