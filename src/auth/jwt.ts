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
import type { Caller } from './caller';
import { isUserId } from './user-id';

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
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
export type TokenKeys = { kind: 'secret'; secret: Uint8Array } | { kind: 'jwks'; keys: JWTVerifyGetKey };

/** Skew tolerated on exp, nbf and iat. */
export const CLOCK_SKEW_SECONDS = 60;
const MAX_TOKEN_LENGTH = 8192;
/** JWKS: keys kept ≥ 10 min; an unknown kid refetches at most once a minute. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
export const JWKS_COOLDOWN_MS = 60_000;

export const secretKeys = (secret: string): TokenKeys => ({
  kind: 'secret',
  secret: new TextEncoder().encode(secret),
});

export const jwksKeys = (url: string): TokenKeys => ({
  kind: 'jwks',
  keys: createRemoteJWKSet(new URL(url), {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: 5_000,
  }),
});

/** How long a verified token is taken on trust before its signature is checked again (a JWKS key may be removed). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_MAX = 10_000;

interface Verified {
  caller: Caller;
  payload: JWTPayload;
  until: number;
}

export class TokenVerifier {
  /**
   * Clients send the same token with every request, and jose's verification costs most of a command's CPU: a
   * token verified in the last minute is taken from here, its time claims checked again against the clock.
   */
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly keys: TokenKeys,
    private readonly policy: TokenPolicy,
  ) {}

  /** The caller of a valid token; InvalidTokenError (⇒ 401) for anything else. */
  async verify(token: string): Promise<Caller> {
    const now = this.policy.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now.getTime()) {
      checkTimes(hit.payload, now.getTime() / 1000);
      return hit.caller;
    }
    if (hit) this.verified.delete(token);
    const caller = await this.verifySignature(token, now);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    return caller;
  }

  private async verifySignature(token: string, now: Date): Promise<Caller> {
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.policy.issuer,
        audience: this.policy.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: now,
        requiredClaims: ['exp', 'iat', 'sub'],
        typ: undefined,
      };
      payload =
        this.keys.kind === 'secret'
          ? (await jwtVerify(token, this.keys.secret, { ...options, algorithms: ['HS256'] })).payload
          : (await jwtVerify(token, this.keys.keys, { ...options, algorithms: ['RS256', 'ES256'] })).payload;
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) throw new InvalidTokenError(reasonOf(e));
      throw new InvalidTokenError('token is malformed');
    }
    const caller = this.callerOf(payload, now.getTime() / 1000);
    this.verified.set(token, { caller, payload, until: now.getTime() + VERIFIED_TOKEN_TTL_MS });
    return caller;
  }

  private callerOf(payload: JWTPayload, nowS: number): Caller {
    const { iat, exp, sub } = payload as { iat: number; exp: number; sub: unknown };
    if (iat > nowS + CLOCK_SKEW_SECONDS) throw new InvalidTokenError('token issued in the future');
    if (exp - iat > this.policy.maxTtlSeconds) {
      throw new InvalidTokenError(`token lifetime over ${this.policy.maxTtlSeconds} s`);
    }
    if (!isUserId(sub)) throw new InvalidTokenError('token sub is not a valid user id');
    const claimed = (payload as { roles?: unknown }).roles;
    let roles: string[] = [];
    if (claimed !== undefined) {
      if (!Array.isArray(claimed)) throw new InvalidTokenError('token roles must be an array');
      for (const r of claimed) {
        if (typeof r !== 'string' || !this.policy.roles.includes(r)) {
          throw new InvalidTokenError(
            `token role ${JSON.stringify(r)} is not one of ${this.policy.roles.join(', ')}`,
          );
        }
      }
      roles = [...new Set(claimed as string[])];
    }
    return Object.freeze({ userId: sub, roles: Object.freeze(roles) });
  }
}

/** What jose checked of time, checked again for a token taken from the cache (the clock moved since). */
function checkTimes(payload: JWTPayload, nowS: number): void {
  const { exp, nbf, iat } = payload as { exp: number; nbf?: number; iat: number };
  if (exp <= nowS - CLOCK_SKEW_SECONDS) throw new InvalidTokenError('token has expired');
  if (nbf !== undefined && nbf > nowS + CLOCK_SKEW_SECONDS) {
    throw new InvalidTokenError('token claim nbf is not valid (claim timestamp check failed)');
  }
  if (iat > nowS + CLOCK_SKEW_SECONDS) throw new InvalidTokenError('token issued in the future');
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

export interface TokenClaims {
  sub: string;
  roles?: readonly string[];
}

/** An HS256 token for `claims.sub` (the token CLI, the demo, tests), valid for `ttlSeconds` (default 1 h). */
export function signToken(
  claims: TokenClaims,
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
