import {
  ArgumentsHost,
  BadRequestException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { DomainError } from '../orders/domain/errors';
import { ProblemDetailsFilter } from './problem-details.filter';
import { ProblemException } from './problem';

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
  const filter = new ProblemDetailsFilter();
  const render = (error: unknown) => {
    const { host, sent } = hostFor();
    filter.catch(error, host);
    return { ...sent, problem: JSON.parse(sent.body ?? 'null') };
  };

  it('maps domain errors through STATUS_OF_CODE, with the field on 400s', () => {
    expect(render(new DomainError('REQUEST_ALREADY_OPEN', 'open')).problem).toEqual({
      type: 'urn:resolution-center:problem:request-already-open',
      title: 'A request is already open',
      status: 409,
      detail: 'open',
      code: 'REQUEST_ALREADY_OPEN',
    });
    const v = render(new DomainError('VALIDATION_FAILED', 'reason is required', 'reason'));
    expect(v.status).toBe(400);
    expect(v.problem.errors).toEqual([{ field: 'reason', message: 'reason is required' }]);
    expect(v.headers['content-type']).toBe('application/problem+json');
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
      status: 400,
      code: 'VALIDATION_FAILED',
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
