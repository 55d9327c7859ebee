import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, hkdfSync } from 'node:crypto';
import { resolveJwtSecret } from '../../auth/jwt-secret';
import { APP_CONFIG, type AppConfig, isProduction } from '../../platform/config/config';
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

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A reservation older than this belongs to a request whose process most likely died: it may be taken over. */
export const IDEMPOTENCY_STALE_AFTER_MS = 30_000;
/** Printable ASCII, no leading/trailing space, at most 255 characters (a uuid is typical). */
const KEY_RE = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** Validates the header (400 VALIDATION_FAILED otherwise) and fingerprints the request it came with. */
export function idempotencyRequestOf(request: FastifyRequest): IdempotencyRequest | undefined {
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header === undefined) return undefined;
  // node joins repeated headers with ", ": two keys must not become one. Exactly one header, or 400.
  if (countHeader(request.raw.rawHeaders, IDEMPOTENCY_HEADER) !== 1) {
    throw validationFailed(
      [{ field: 'Idempotency-Key', message: 'send exactly one Idempotency-Key header' }],
      'The request carries more than one Idempotency-Key header.',
    );
  }
  const { method, url, body } = request;
  if (Array.isArray(header) || !KEY_RE.test(header)) {
    throw validationFailed(
      [{ field: 'Idempotency-Key', message: 'must be one value of 1-255 printable ASCII characters' }],
      'The Idempotency-Key header is not valid.',
    );
  }
  return { key: header, fingerprint: requestFingerprint(method, url, body) };
}

function countHeader(rawHeaders: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) n++;
  return n;
}

/** Same key + same request: method, path and body (as parsed JSON; an absent body counts as {}). */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  const path = url.split('?')[0];
  let json: string;
  try {
    json = JSON.stringify(body ?? {});
  } catch {
    // Only a body nested deep enough to overflow the stack gets here; validation would refuse it anyway.
    throw validationFailed([{ field: 'body', message: 'body is nested too deeply' }]);
  }
  return createHash('sha256').update(`${method} ${path}\n`).update(json).digest('base64url');
}

/**
 * Idempotency-Key on commands: reserve (caller, key) first, run the command, record its response (success or
 * domain refusal) so a retry gets the very same answer. If nothing was written the reservation is released; if
 * the outcome of a write is unknown (crash, store error) it stays until stale, and whoever takes it over checks
 * the stream for events carrying the key before deciding again (OrderCommandService).
 *
 * Called from the command controller rather than as an interceptor: requests without the header (nearly all)
 * then pay nothing for it.
 */
@Injectable()
export class IdempotencyService {
  /**
   * The key of derivations from an Idempotency-Key (POST /orders' order id): derived from the service's secret, so
   * that knowing a request's Idempotency-Key is not enough to compute (and pre-empt) what it derives. Undefined
   * when the service has no secret (production with AUTH_JWKS_URL and no AUTH_JWT_SECRET).
   */
  readonly derivationKey: Buffer | undefined;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(PRODUCT_PROBLEMS) private readonly product: ProductProblems,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const secret =
      config.authJwtSecret ?? (isProduction(config.nodeEnv) ? undefined : resolveJwtSecret(config));
    this.derivationKey =
      secret === undefined
        ? undefined
        : Buffer.from(hkdfSync('sha256', secret, '', 'resolution-center/idempotency-derived-id', 32));
  }

  async execute<T>(
    scope: string,
    request: IdempotencyRequest,
    successStatus: number,
    run: (idempotency: IdempotencyContext) => Promise<T>,
    onReplay?: () => void,
  ): Promise<T> {
    const { key, fingerprint } = request;
    const r = await this.store.reserve(scope, key, fingerprint, Date.now(), IDEMPOTENCY_STALE_AFTER_MS);
    switch (r.outcome) {
      case 'mismatch':
        throw new ProblemException(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for a different request.',
        );
      case 'in_flight':
        throw new ProblemException(
          409,
          'IDEMPOTENCY_KEY_IN_USE',
          'A request with this Idempotency-Key is still being processed; retry later.',
        );
      case 'completed':
        onReplay?.();
        if (r.response.status >= 400) throw new RecordedProblemException(r.response.body as Problem);
        return r.response.body as T;
    }
    const idempotency: IdempotencyContext = { key, takenOver: r.takenOver, writeState: 'pending' };
    let body: T;
    try {
      body = await run(idempotency);
    } catch (error) {
      await this.settleFailure(error, scope, key, r.token, idempotency);
      throw error;
    }
    // Not recorded (store error): the reservation goes stale and a retry's takeover finds the events.
    await this.store
      .complete(scope, key, r.token, { status: successStatus, body }, Date.now())
      .catch(() => {});
    return body;
  }

  private async settleFailure(
    error: unknown,
    scope: string,
    key: string,
    token: string,
    idempotency: IdempotencyContext,
  ): Promise<void> {
    try {
      // Events may be in the store: keep the reservation, the stale takeover will find them.
      if (idempotency.writeState !== 'pending') return;
      // The product's refusals are answers: a retry gets the same one. Anything else may succeed when retried.
      const problem = this.product.problemOf(error);
      if (problem) {
        await this.store.complete(scope, key, token, { status: problem.status, body: problem }, Date.now());
      } else {
        await this.store.release(scope, key, token);
      }
    } catch {
      // The original error is what the client must see; the reservation simply goes stale.
    }
  }
}
