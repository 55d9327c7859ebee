// Test fixture tokens, signed synchronously so that `t.token(user)` stays a plain call in hundreds of tests.
// Signing only: every token is verified by the service with jose. Tests forge odd tokens (no iat, sub=system, an
// unknown role...) through `signJwt` to see them refused.
import { createHmac } from 'node:crypto';

const b64json = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Any header and payload, HS256-signed with `secret`. */
export function signJwt(header: object, payload: object, secret: string): string {
  const input = `${b64json(header)}.${b64json(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A well-formed token for `sub` with iat = `nowMs` and the given lifetime (default 1 h). */
export function testToken(
  sub: string,
  roles: readonly string[],
  secret: string,
  options: { nowMs?: number; ttlSeconds?: number; extra?: Record<string, unknown> } = {},
): string {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const payload: Record<string, unknown> = {
    sub,
    iat,
    exp: iat + (options.ttlSeconds ?? 3600),
    ...options.extra,
  };
  if (roles.length) payload.roles = [...roles];
  return signJwt({ alg: 'HS256', typ: 'JWT' }, payload, secret);
}
