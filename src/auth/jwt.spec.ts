import { InvalidTokenError, secretKeys, signToken, TokenVerifier, VERIFIED_TOKEN_TTL_MS } from './jwt';

const SECRET = 'spec-secret-0123456789abcdef0123456789';

describe('TokenVerifier: verified tokens taken from its cache', () => {
  let nowMs: number;
  const verifier = () =>
    new TokenVerifier(secretKeys(SECRET), {
      roles: ['support'],
      maxTtlSeconds: 86_400,
      now: () => new Date(nowMs),
    });

  beforeEach(() => {
    nowMs = Date.parse('2031-01-01T00:00:00.000Z');
  });

  it('answers the same caller again without a second verification, the time claims checked each time', async () => {
    const v = verifier();
    const token = await signToken({ sub: 'alice', roles: ['support'] }, SECRET, { ttlSeconds: 600, nowMs });
    expect(await v.verify(token)).toEqual({ userId: 'alice', roles: ['support'] });
    nowMs += 30_000;
    expect(await v.verify(token)).toEqual({ userId: 'alice', roles: ['support'] });
    // Past exp + skew: refused although the token sits in the cache.
    nowMs += 600_000 + 31_000;
    await expect(v.verify(token)).rejects.toThrow(new InvalidTokenError('token has expired'));
  });

  it('checks the signature again once an entry is older than VERIFIED_TOKEN_TTL_MS', async () => {
    const v = verifier();
    const token = await signToken({ sub: 'bob' }, SECRET, { ttlSeconds: 3600, nowMs });
    await v.verify(token);
    nowMs += VERIFIED_TOKEN_TTL_MS + 1;
    // A fresh verification of a still-valid token succeeds…
    expect(await v.verify(token)).toEqual({ userId: 'bob', roles: [] });
    // …and a forged one is never cached: each try is verified and refused.
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    await expect(v.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(v.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
