// HS256 JWTs with node:crypto only: the format is small enough that a library would add more surface than it
// saves. Verification is strict: alg must be HS256 (no `none`, no algorithm confusion), signature compared in
// constant time, `exp` required and in the future, `sub` a non-empty string, `roles` a subset of the roles the product names.
import { createHmac, KeyObject, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { Caller } from './caller';

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenClaims {
  sub: string;
  roles?: readonly string[];
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 8192;
const MAX_SUB_LENGTH = 256;
/** Tolerated clock skew for `nbf`/`iat` in the future. */
const LEEWAY_S = 60;

const b64json = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

function keyOf(secret: string | KeyObject): KeyObject {
  return typeof secret === 'string' ? createSecretKey(Buffer.from(secret, 'utf8')) : secret;
}

/** Low level: signs any header/payload (tests use it to forge odd tokens). */
export function signJwt(header: object, payload: object, secret: string | KeyObject): string {
  const signingInput = `${b64json(header)}.${b64json(payload)}`;
  const sig = createHmac('sha256', keyOf(secret)).update(signingInput).digest('base64url');
  return `${signingInput}.${sig}`;
}

/** A token for `claims.sub`, valid for `ttlSeconds` (default 24 h). */
export function signToken(
  claims: TokenClaims,
  secret: string | KeyObject,
  options: { ttlSeconds?: number; nowMs?: number } = {},
): string {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const payload: Record<string, unknown> = {
    sub: claims.sub,
    iat,
    exp: iat + (options.ttlSeconds ?? 86_400),
  };
  if (claims.roles?.length) payload.roles = [...claims.roles];
  return signJwt({ alg: 'HS256', typ: 'JWT' }, payload, secret);
}

function parseJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError(`token ${what} is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidTokenError(`token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Verifies a compact JWS and returns the caller; throws InvalidTokenError with a reason otherwise. `roles` are the
 * roles a token may grant (any other is refused).
 */
export function verifyToken(
  token: string,
  secret: KeyObject,
  roles: readonly string[],
  nowMs = Date.now(),
): Caller {
  return verifyTokenWithExpiry(token, secret, roles, nowMs).caller;
}

function verifyTokenWithExpiry(
  token: string,
  secret: KeyObject,
  knownRoles: readonly string[],
  nowMs: number,
): { caller: Caller; expMs: number } {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) {
    throw new InvalidTokenError('token is not a compact JWS (header.payload.signature)');
  }
  const [h, p, s] = parts;
  const header = parseJsonPart(h, 'header');
  if (header.alg !== 'HS256') throw new InvalidTokenError('token algorithm must be HS256');
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('token signature is invalid');
  }
  const payload = parseJsonPart(p, 'payload');
  const nowS = nowMs / 1000;
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) {
    throw new InvalidTokenError('token has no numeric exp claim');
  }
  if (payload.exp <= nowS) throw new InvalidTokenError('token has expired');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > nowS + LEEWAY_S)) {
    throw new InvalidTokenError('token is not valid yet');
  }
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.trim() === '' || sub.length > MAX_SUB_LENGTH) {
    throw new InvalidTokenError('token sub must be a non-empty string');
  }
  let roles: string[] = [];
  if (payload.roles !== undefined) {
    if (!Array.isArray(payload.roles)) throw new InvalidTokenError('token roles must be an array');
    for (const r of payload.roles) {
      if (!(knownRoles as readonly unknown[]).includes(r)) {
        throw new InvalidTokenError(`token role ${JSON.stringify(r)} is not one of ${knownRoles.join(', ')}`);
      }
    }
    roles = [...new Set(payload.roles as string[])];
  }
  const caller: Caller = Object.freeze({ userId: sub, roles: Object.freeze(roles) });
  return { caller, expMs: payload.exp * 1000 };
}

/**
 * verifyToken with a bounded cache of tokens already verified: clients send the same token with every request,
 * so the HMAC and the JSON parsing run once per token, not per request. Expiry is still checked every time.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, { caller: Caller; expMs: number }>();

  constructor(
    private readonly secret: KeyObject,
    private readonly roles: readonly string[],
    private readonly maxEntries = 10_000,
  ) {}

  verify(token: string, nowMs = Date.now()): Caller {
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.expMs > nowMs) return hit.caller;
      this.cache.delete(token);
      throw new InvalidTokenError('token has expired');
    }
    const verified = verifyTokenWithExpiry(token, this.secret, this.roles, nowMs);
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, verified);
    return verified.caller;
  }
}

/** "24h", "30m", "7d", "90s" or plain seconds -> seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid ttl ${JSON.stringify(text)}: use e.g. 90s, 30m, 24h, 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds <= 0) throw new Error('ttl must be positive');
  return seconds;
}
