// JWT verification with jose: HS256 with the service's secret, or RS256/ES256 against the identity provider's
// JWKS (keys cached, rotated by kid). Nothing here checks a signature by hand.
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { isUserId } from './user-id';

/** The authenticated caller: the token's user id and the roles it grants (the product's vocabulary). */
export interface Caller {
  userId: string;
  roles: readonly string[];
}

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** What a token must satisfy beyond its signature. */
export interface TokenPolicy {
  /** The roles a token may grant; any other ⇒ 401. */
  roles: readonly string[];
  issuer?: string;
  audience?: string;
  /** exp − iat at most this (AUTH_MAX_TOKEN_TTL). */
  maxTtlSeconds: number;
  /** The service's clock (the test clock under CLOCK=manual). */
  now: () => Date;
}

/** How a signature is checked: the HS256 secret, or a JWKS (RS256/ES256 only). */
export type TokenKeys = Uint8Array | JWTVerifyGetKey;

/** Skew tolerated on exp, nbf and iat. */
const CLOCK_SKEW_SECONDS = 60;
const MAX_TOKEN_LENGTH = 8192;

export const secretKeys = (secret: string): TokenKeys => new TextEncoder().encode(secret);

/** Keys kept at least 10 minutes; an unknown kid fetches the set again at most once a minute. */
export const jwksKeys = (url: string): TokenKeys =>
  createRemoteJWKSet(new URL(url), {
    cacheMaxAge: 10 * 60_000,
    cooldownDuration: 60_000,
    timeoutDuration: 5_000,
  });

/** How long a verified token is taken on trust before its signature is checked again (a JWKS key may be removed). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_MAX = 10_000;

export class TokenVerifier {
  /** Verified tokens, until their entry or the token expires: jose's check costs most of a command's CPU. */
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly keys: TokenKeys,
    private readonly policy: TokenPolicy,
  ) {}

  /** The caller of a valid token; InvalidTokenError (⇒ 401) for anything else. */
  async verify(token: string): Promise<Caller> {
    const now = this.policy.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now.getTime()) return hit.caller;
    this.verified.delete(token);
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.policy.issuer,
        audience: this.policy.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: now,
        requiredClaims: ['exp', 'iat', 'sub'],
      };
      ({ payload } =
        typeof this.keys === 'function'
          ? await jwtVerify(token, this.keys, { ...options, algorithms: ['RS256', 'ES256'] })
          : await jwtVerify(token, this.keys, { ...options, algorithms: ['HS256'] }));
    } catch (e) {
      throw new InvalidTokenError(e instanceof joseErrors.JOSEError ? reasonOf(e) : 'token is malformed');
    }
    const caller = this.callerOf(payload, now.getTime() / 1000);
    // Times only move forward: a token valid now stays so (nbf, iat) until it expires (exp + skew).
    const until = Math.min(now.getTime() + VERIFIED_TOKEN_TTL_MS, (payload.exp! + CLOCK_SKEW_SECONDS) * 1000);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { caller, until });
    return caller;
  }

  private callerOf(payload: JWTPayload, nowS: number): Caller {
    const { iat, exp, sub } = payload as { iat: number; exp: number; sub: unknown };
    if (iat > nowS + CLOCK_SKEW_SECONDS) throw new InvalidTokenError('token issued in the future');
    if (exp - iat > this.policy.maxTtlSeconds) {
      throw new InvalidTokenError(`token lifetime over ${this.policy.maxTtlSeconds} s`);
    }
    if (!isUserId(sub)) throw new InvalidTokenError('token sub is not a valid user id');
    const claimed = payload.roles === undefined ? [] : payload.roles;
    if (!Array.isArray(claimed)) throw new InvalidTokenError('token roles must be an array');
    for (const r of claimed) {
      if (typeof r !== 'string' || !this.policy.roles.includes(r)) {
        throw new InvalidTokenError(
          `token role ${JSON.stringify(r)} is not one of ${this.policy.roles.join(', ')}`,
        );
      }
    }
    return Object.freeze({ userId: sub, roles: Object.freeze([...new Set(claimed as string[])]) });
  }
}

function reasonOf(e: InstanceType<typeof joseErrors.JOSEError>): string {
  if (e instanceof joseErrors.JWTExpired) return 'token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim ${e.claim} is not valid (${e.reason})`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key matches the token';
  return 'token is malformed';
}

/** An HS256 token for `sub` (the token CLI, the demo, tests), valid for `ttlSeconds` (default 1 h). */
export function signToken(
  claims: { sub: string; roles?: readonly string[] },
  secret: string,
  options: { ttlSeconds?: number; nowMs?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const jwt = new SignJWT(claims.roles?.length ? { roles: [...claims.roles] } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
