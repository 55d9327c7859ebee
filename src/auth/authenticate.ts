import type { FastifyRequest } from 'fastify';
import type { Caller } from './caller';
import type { RequestWithCaller } from './current-caller.decorator';
import { InvalidTokenError, TokenVerifier } from './jwt';

/** The outcome of reading a request's bearer token: a caller, or why there is none. */
export type Authentication = { caller: Caller } | { refused: string };

interface RequestWithAuthentication extends RequestWithCaller {
  authentication?: Promise<Authentication>;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/**
 * Verifies the request's `Authorization: Bearer` token once per request, however many ask (the rate limiter keys
 * on the caller, the guard admits it): the first call verifies, the others share the answer.
 */
export function authenticate(request: FastifyRequest, verifier: TokenVerifier): Promise<Authentication> {
  const req = request as FastifyRequest & RequestWithAuthentication;
  req.authentication ??= verify(req, verifier);
  return req.authentication;
}

async function verify(
  request: FastifyRequest & RequestWithAuthentication,
  verifier: TokenVerifier,
): Promise<Authentication> {
  const header = request.headers.authorization;
  if (!header) return { refused: 'Missing Authorization: Bearer <token> header.' };
  const m = BEARER.exec(header);
  if (!m) return { refused: 'Authorization header must be "Bearer <token>".' };
  try {
    const caller = await verifier.verify(m[1]);
    request.caller = caller;
    return { caller };
  } catch (e) {
    if (e instanceof InvalidTokenError) return { refused: `Invalid token: ${e.message}.` };
    throw e;
  }
}
