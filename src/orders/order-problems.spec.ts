import type { ArgumentsHost } from '@nestjs/common';
import { ProblemDetailsFilter } from '../http/problem';
import { DomainError } from './domain/errors';
import { ORDER_PROBLEMS } from './order-problems';

function render(error: unknown) {
  const sent: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
  const reply = {
    sent: false,
    status: (s: number) => ((sent.status = s), reply),
    header: (k: string, v: string) => ((sent.headers[k] = v), reply),
    send: (b: string) => ((sent.body = b), reply),
  };
  const host = {
    switchToHttp: () => ({
      getResponse: () => reply,
      getRequest: () => ({ method: 'POST', url: '/orders/x' }),
    }),
  } as unknown as ArgumentsHost;
  new ProblemDetailsFilter(ORDER_PROBLEMS).catch(error, host);
  return { ...sent, problem: JSON.parse(sent.body ?? 'null') };
}

describe('ORDER_PROBLEMS at the edge', () => {
  it('maps domain errors through their code table, with the field on 400s', () => {
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

  it('leaves every other error to HTTP', () => {
    expect(ORDER_PROBLEMS.problemOf(new Error('boom'))).toBeUndefined();
  });
});
