import 'reflect-metadata';
import fc from 'fast-check';
import { ProblemException } from '../../../http/problem';
import { StrictValidationPipe } from '../../../http/validation';
import { ALL_CANCELLATION_REASONS, REQUEST_TYPES } from '../../domain/order.types';
import { OpenRequestDto } from './command-bodies.dto';
import { parseOpenRequestBody } from './open-request.body';

const pipe = new StrictValidationPipe();

type Outcome = { ok: Record<string, unknown> } | { errors: unknown };

async function viaDto(body: unknown): Promise<Outcome> {
  try {
    const dto = (await pipe.transform(body, { type: 'body', metatype: OpenRequestDto })) as OpenRequestDto;
    return {
      ok: { type: dto.type, reason: dto.reason, comment: dto.comment, proposedDueAt: dto.proposedDueAt },
    };
  } catch (e) {
    return { errors: (e as ProblemException).problem };
  }
}

function viaPipe(body: unknown): Outcome {
  try {
    const b = parseOpenRequestBody(body);
    return { ok: { type: b.type, reason: b.reason, comment: b.comment, proposedDueAt: b.proposedDueAt } };
  } catch (e) {
    return { errors: (e as ProblemException).problem };
  }
}

const value = fc.oneof(
  fc.constantFrom(...REQUEST_TYPES, ...ALL_CANCELLATION_REASONS, '', ' ', 'x'.repeat(64), 'x'.repeat(65)),
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
  'extra',
  'toString',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  'Type',
);

describe('parseOpenRequestBody', () => {
  it('answers exactly as OpenRequestDto through the strict validation pipe', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.dictionary(key, value, { maxKeys: 6 }), { nil: undefined }),
        async (body) => {
          // As the body arrives from the JSON parser: own enumerable data properties only.
          const plain = body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
          expect(viaPipe(plain)).toEqual(await viaDto(plain));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each<[unknown]>([
    [undefined],
    [null],
    [{}],
    [{ type: 'cancellation', reason: 'no_longer_needed', comment: 'c' }],
    [{ type: 'delivery_extension', comment: 'c', proposedDueAt: '2030-01-01T00:00:00.000Z' }],
    [{ type: 'order_update', comment: '', zz: 1 }],
    [{ type: null, reason: null, comment: null, proposedDueAt: null }],
    [{ type: 1, reason: 5, comment: 5, proposedDueAt: 7 }],
    [{ type: 'order_update', comment: 'x'.repeat(10_001), proposedDueAt: 'y'.repeat(65) }],
    [{ toString: 1, constructor: 2, type: 'cancellation', comment: 'a' }],
  ])('case %#', async (body) => {
    expect(viaPipe(body)).toEqual(await viaDto(body));
  });
});
