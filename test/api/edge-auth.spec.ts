// Token probes against the real app: everything but a well-formed, correctly signed, short-lived token of a valid
// user id with known roles is 401. HS256 with the service's secret; RS256/ES256 against a JWKS served from a local
// http server (keys rotated by kid, an unknown kid refetched at most once a minute).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { expectProblem } from '../support/orders';
import { bearer, startTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';
import { signJwt, testToken } from '../support/tokens';

const PROBE = '/notifications';
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const s = (ms: number) => Math.floor(ms / 1000);

describe('HS256 tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
  });
  afterAll(() => t?.close());

  const now = () => s(t.clock!.now().getTime());
  const probe = (token: string) => t.http.get(PROBE).set(bearer(token));
  const refused = async (token: string, detail?: RegExp) => {
    const res = await probe(token);
    expectProblem(res, 401, 'UNAUTHENTICATED');
    if (detail) expect(res.body.detail).toMatch(detail);
  };
  const hs = (payload: object) => signJwt({ alg: 'HS256', typ: 'JWT' }, payload, TEST_JWT_SECRET);

  it('accepts a valid token, and a nbf within the 60 s skew', async () => {
    expect((await probe(t.token('alice'))).status).toBe(200);
    expect((await probe(hs({ sub: 'alice', iat: now(), exp: now() + 60, nbf: now() + 30 }))).status).toBe(
      200,
    );
  });

  it('401: forged (other secret), tampered payload, alg none, HS512', async () => {
    await refused(testToken('alice', [], 'another-secret-0123456789abcdef0123'), /signature/);
    const [h, , sig] = t.token('alice').split('.');
    const body = Buffer.from(JSON.stringify({ sub: 'mallory', iat: now(), exp: now() + 60 })).toString(
      'base64url',
    );
    await refused(`${h}.${body}.${sig}`);
    const payload = Buffer.from(JSON.stringify({ sub: 'alice', iat: now(), exp: now() + 60 })).toString(
      'base64url',
    );
    await refused(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`);
    await refused(signJwt({ alg: 'HS512' }, { sub: 'alice', iat: now(), exp: now() + 60 }, TEST_JWT_SECRET));
  });

  it('401: expired, no exp, no iat, too long-lived, issued in the future, not yet valid', async () => {
    await refused(hs({ sub: 'alice', iat: now() - 7200, exp: now() - 3600 }), /expired/);
    await refused(hs({ sub: 'alice', iat: now() }), /exp/);
    await refused(hs({ sub: 'alice', exp: now() + 60 }), /iat/);
    // The probe's token of the year 5138: exp − iat far over AUTH_MAX_TOKEN_TTL (24 h).
    await refused(hs({ sub: 'alice', iat: now(), exp: 99_999_999_999 }), /lifetime/);
    await refused(hs({ sub: 'alice', iat: now(), exp: now() + 86_401 }), /lifetime/);
    expect((await probe(hs({ sub: 'alice', iat: now(), exp: now() + 86_400 }))).status).toBe(200);
    await refused(hs({ sub: 'alice', iat: now() + 3600, exp: now() + 7200 }));
    await refused(hs({ sub: 'alice', iat: now(), exp: now() + 600, nbf: now() + 120 }), /nbf/);
  });

  it('401: a reserved or malformed sub, unknown or malformed roles', async () => {
    for (const sub of ['system', 'a\u0000b', 'a\nb', 'a b', '', 'x'.repeat(129), 42, 'ünï']) {
      await refused(hs({ sub, iat: now(), exp: now() + 60 }));
    }
    await refused(hs({ iat: now(), exp: now() + 60 }));
    await refused(hs({ sub: 'a', iat: now(), exp: now() + 60, roles: ['admin'] }), /role/);
    await refused(hs({ sub: 'a', iat: now(), exp: now() + 60, roles: 'support' }), /roles/);
    await refused(hs({ sub: 'a', iat: now(), exp: now() + 60, roles: [['support']] }), /role/);
    expect(
      (await probe(hs({ sub: 'a.b:c@d-e_f', iat: now(), exp: now() + 60, roles: ['checkout'] }))).status,
    ).toBe(200);
  });

  it("times are the service's clock (CLOCK=manual): a token issued before the clock moved expires with it", async () => {
    const early = t.token('alice'); // 1 h, issued at the test clock's now
    expect((await probe(early)).status).toBe(200);
    t.clock!.advance(2 * 3600_000);
    await refused(early, /expired/);
    expect((await probe(t.token('alice'))).status).toBe(200);
  });
});

describe('issuer and audience (AUTH_ISSUER / AUTH_AUDIENCE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ authIssuer: 'https://idp.example', authAudience: 'resolution-center' });
  });
  afterAll(() => t?.close());

  it('are required and checked when configured', async () => {
    const token = (extra: Record<string, unknown>) => testToken('alice', [], TEST_JWT_SECRET, { extra });
    const ok = token({ iss: 'https://idp.example', aud: 'resolution-center' });
    expect((await t.http.get(PROBE).set(bearer(ok))).status).toBe(200);
    for (const extra of [
      {},
      { iss: 'https://idp.example' },
      { iss: 'https://evil.example', aud: 'resolution-center' },
      { iss: 'https://idp.example', aud: 'other' },
    ]) {
      expectProblem(await t.http.get(PROBE).set(bearer(token(extra))), 401, 'UNAUTHENTICATED');
    }
  });
});

describe('JWKS (AUTH_JWKS_URL): RS256 and ES256, rotated by kid', () => {
  let t: TestApp;
  let server: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  const rsa = generateKeyPair('RS256');
  const ec = generateKeyPair('ES256');

  beforeAll(async () => {
    // Only Date is faked: jose's JWKS cache and cooldown run on Date.now(), and so does the service's clock.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    keys = [{ ...(await exportJWK((await rsa).publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    t = await startTestApp({ authJwksUrl: `http://127.0.0.1:${port}/jwks.json` });
  });
  afterAll(async () => {
    jest.useRealTimers();
    await t?.close();
    await new Promise((done) => server?.close(done));
  });

  const sign = async (alg: 'RS256' | 'ES256', kid: string, key: PrivateKey, sub = 'alice') =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
  const probe = (token: string) => t.http.get(PROBE).set(bearer(token));

  it('accepts RS256 from the JWKS; refuses HS256, a key not in the set, a bad sub', async () => {
    expect((await probe(await sign('RS256', 'k1', (await rsa).privateKey))).status).toBe(200);
    expect(fetches).toBe(1);
    expectProblem(await probe(testToken('alice', [], TEST_JWT_SECRET)), 401, 'UNAUTHENTICATED');
    const stranger = await generateKeyPair('RS256');
    expectProblem(await probe(await sign('RS256', 'k1', stranger.privateKey)), 401, 'UNAUTHENTICATED');
    expectProblem(
      await probe(await sign('RS256', 'k1', (await rsa).privateKey, 'system')),
      401,
      'UNAUTHENTICATED',
    );
    expect((await probe(await sign('RS256', 'k1', (await rsa).privateKey))).status).toBe(200);
    expect(fetches).toBe(1); // cached
  });

  it('a new kid (ES256) is fetched, but at most once a minute', async () => {
    keys = [...keys, { ...(await exportJWK((await ec).publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }];
    const rotated = await sign('ES256', 'k2', (await ec).privateKey);
    // Within a minute of the last fetch: no refetch, the unknown kid is refused.
    expectProblem(await probe(rotated), 401, 'UNAUTHENTICATED');
    expect(fetches).toBe(1);
    jest.setSystemTime(Date.now() + 61_000);
    const fresh = await sign('ES256', 'k2', (await ec).privateKey);
    expect((await probe(fresh)).status).toBe(200);
    expect(fetches).toBe(2);
    // An unknown kid right after: refused without another fetch.
    expectProblem(await probe(await sign('ES256', 'k9', (await ec).privateKey)), 401, 'UNAUTHENTICATED');
    expect(fetches).toBe(2);
  });

  it('keys are kept 10 minutes, then fetched again (k1 retired)', async () => {
    keys = keys.filter((k) => k.kid !== 'k1');
    jest.setSystemTime(Date.now() + 11 * 60_000);
    const old = await sign('RS256', 'k1', (await rsa).privateKey);
    expectProblem(await probe(old), 401, 'UNAUTHENTICATED');
    expect(fetches).toBe(3);
    expect((await probe(await sign('ES256', 'k2', (await ec).privateKey))).status).toBe(200);
  });
});
