import {
  ArgumentsHost,
  BadRequestException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { WrongExpectedRevisionError } from '../platform/event-store/event-store.port';
import { makeProblem, ProblemDetailsFilter, ProblemException, type ProductProblems } from './problem';

/** A product with one error of its own, as the composition root hands one in. */
class Refusal extends Error {}
const product: ProductProblems = {
  codes: { NOPE: { status: 409, title: 'Nope' } },
  problemOf: (e) =>
    e instanceof Refusal ? makeProblem(409, 'NOPE', e.message, undefined, 'Nope') : undefined,
};

function hostFor() {
  const sent: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
  const reply = {
    sent: false,
    status(s: number) {
      sent.status = s;
      return reply;
    },
    header(k: string, v: string) {
      sent.headers[k] = v;
      return reply;
    },
    send(b: string) {
      sent.body = b;
      return reply;
    },
  };
  const request = { method: 'POST', url: '/orders/x?y=1' };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => request }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('ProblemDetailsFilter', () => {
  const filter = new ProblemDetailsFilter(product);
  const render = (error: unknown) => {
    const { host, sent } = hostFor();
    filter.catch(error, host);
    return { ...sent, problem: JSON.parse(sent.body ?? 'null') };
  };

  it("renders the product's own errors as the product maps them", () => {
    const r = render(new Refusal('not now'));
    expect(r.problem).toEqual({
      type: 'urn:resolution-center:problem:nope',
      title: 'Nope',
      status: 409,
      detail: 'not now',
      code: 'NOPE',
    });
    expect(r.headers['content-type']).toBe('application/problem+json');
  });

  it('answers a concurrency conflict the command handler gave up on with 409 CONCURRENCY_CONFLICT', () => {
    const r = render(new WrongExpectedRevisionError('order-1', 3, 5));
    expect(r.problem).toMatchObject({
      status: 409,
      code: 'CONCURRENCY_CONFLICT',
      title: 'Concurrency conflict',
    });
  });

  it('renders ProblemExceptions as they are', () => {
    const r = render(new ProblemException(422, 'IDEMPOTENCY_KEY_REUSED', 'reused'));
    expect(r.status).toBe(422);
    expect(r.problem.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('turns client errors from Nest or fastify into 400 VALIDATION_FAILED, unknown routes into 404 NOT_FOUND', () => {
    expect(render(new BadRequestException('bad')).problem).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(render(new PayloadTooLargeException()).problem).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    const fst = Object.assign(new Error('Unsupported Media Type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    expect(render(fst).problem).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body' }],
    });
    expect(render(new NotFoundException()).problem).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No route POST /orders/x',
    });
  });

  it('answers anything unexpected with 500 INTERNAL, without leaking the message, and logs it', () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const r = render(new TypeError('secret internals'));
    expect(r.status).toBe(500);
    expect(r.problem).toMatchObject({ code: 'INTERNAL', detail: 'An unexpected error occurred.' });
    expect(r.body).not.toContain('secret');
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });

  it('sets WWW-Authenticate on 401', () => {
    expect(render(new ProblemException(401, 'UNAUTHENTICATED', 'no')).headers['www-authenticate']).toBe(
      'Bearer',
    );
  });
});
