import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import {
  Problem,
  ProblemException,
  PRODUCT_PROBLEMS,
  type ProductProblems,
  RecordedProblemException,
  validationFailed,
} from '../problem';
import type { IdempotencyContext, IdempotencyRequest } from './idempotency.context';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '../../platform/idempotency/idempotency-store.port';

const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A reservation older than this belongs to a request whose process most likely died: it may be taken over. */
export const IDEMPOTENCY_STALE_AFTER_MS = 30_000;
/** Printable ASCII, no leading/trailing space, at most 255 characters (a uuid is typical). */
const KEY_RE = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** Validates the header (400 VALIDATION_FAILED otherwise) and fingerprints the request it came with. */
export function idempotencyRequestOf(request: FastifyRequest): IdempotencyRequest | undefined {
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header === undefined) return undefined;
  // node joins repeated headers with ", ": two keys must not become one. Exactly one header, or 400.
  const names = request.raw.rawHeaders.filter((_, i) => i % 2 === 0);
  if (names.filter((name) => name.toLowerCase() === IDEMPOTENCY_HEADER).length !== 1) {
    throw validationFailed(
      [{ field: 'Idempotency-Key', message: 'send exactly one Idempotency-Key header' }],
      'The request carries more than one Idempotency-Key header.',
    );
  }
  if (Array.isArray(header) || !KEY_RE.test(header)) {
    throw validationFailed(
      [{ field: 'Idempotency-Key', message: 'must be one value of 1-255 printable ASCII characters' }],
      'The Idempotency-Key header is not valid.',
    );
  }
  return { key: header, fingerprint: requestFingerprint(request.method, request.url, request.body) };
}

/** Same key + same request: method, path and body (as parsed JSON; an absent body counts as {}). */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(body ?? {});
  } catch {
    // Only a body nested deep enough to overflow the stack gets here; validation would refuse it anyway.
    throw validationFailed([{ field: 'body', message: 'body is nested too deeply' }]);
  }
  const path = url.split('?')[0];
  return createHash('sha256').update(`${method} ${path}\n`).update(json).digest('base64url');
}

// Records a command's response per (caller, key) so a retry gets the same answer. Called by the command controller,
// not an interceptor: requests without the header (nearly all) pay nothing for it.
@Injectable()
export class IdempotencyService {
  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(PRODUCT_PROBLEMS) private readonly product: ProductProblems,
  ) {}

  async execute<T>(
    scope: string,
    { key, fingerprint }: IdempotencyRequest,
    successStatus: number,
    run: (idempotency: IdempotencyContext) => Promise<T>,
    onReplay?: () => void,
  ): Promise<T> {
    const r = await this.store.reserve(scope, key, fingerprint, Date.now(), IDEMPOTENCY_STALE_AFTER_MS);
    if (r.outcome === 'mismatch') {
      const detail = 'This Idempotency-Key was already used for a different request.';
      throw new ProblemException(422, 'IDEMPOTENCY_KEY_REUSED', detail);
    }
    if (r.outcome === 'in_flight') {
      const detail = 'A request with this Idempotency-Key is still being processed; retry later.';
      throw new ProblemException(409, 'IDEMPOTENCY_KEY_IN_USE', detail);
    }
    if (r.outcome === 'completed') {
      onReplay?.();
      if (r.response.status >= 400) throw new RecordedProblemException(r.response.body as Problem);
      return r.response.body as T;
    }
    const record = (status: number, body: unknown) =>
      this.store.complete(scope, key, r.token, { status, body }, Date.now());
    const idempotency: IdempotencyContext = { key, takenOver: r.takenOver, writeState: 'pending' };
    let body: T;
    try {
      body = await run(idempotency);
    } catch (error) {
      // Nothing written: a product refusal is recorded (a retry gets it again), anything else released (a retry
      // may succeed). Otherwise events may be in the store: the reservation stays until a takeover finds them.
      if (idempotency.writeState === 'pending') {
        const problem = this.product.problemOf(error);
        const settled = problem ? record(problem.status, problem) : this.store.release(scope, key, r.token);
        await settled.catch(() => undefined); // the client must see the original error; the reservation goes stale
      }
      throw error;
    }
    // Not recorded (store error): the reservation goes stale and a retry's takeover finds the events.
    await record(successStatus, body).catch(() => undefined);
    return body;
  }
}
