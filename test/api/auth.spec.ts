// Authentication: HS256 JWTs verified strictly (401 UNAUTHENTICATED otherwise), the public routes, the secret
// file generated outside production, and the token CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signJwt, signToken, TokenVerifier, verifyToken } from '../../src/auth/jwt';
import { resolveJwtSecret } from '../../src/auth/jwt-secret';
import { parseTokenArgs } from '../../src/cli/token.cli';
import { createSecretKey } from 'node:crypto';
import { STAFF_ROLES } from '../../src/orders/domain/order.types';
import { expectProblem, inProgressOrder, orderBody, parties, post } from '../support/orders';
import { startTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';

const nowS = () => Math.floor(Date.now() / 1000);

describe('authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const placeWith = (authorization?: string) => {
    const req = t.http.post('/orders');
    return (authorization === undefined ? req : req.set('authorization', authorization)).send(
      orderBody('s-1'),
    );
  };

  it('accepts a valid token', async () => {
    expect((await placeWith(`Bearer ${t.token('alice')}`)).status).toBe(201);
  });

  it.each([
    ['missing header', undefined],
    ['empty header', ''],
    ['not Bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['Bearer without token', 'Bearer '],
    ['not a JWT', 'Bearer abc'],
    ['four segments', 'Bearer a.b.c.d'],
    ['garbage segments', 'Bearer !!!.???.***'],
    ['header not JSON', `Bearer ${Buffer.from('nope').toString('base64url')}.e30.sig`],
  ])('401 UNAUTHENTICATED: %s', async (_name, header) => {
    const res = await placeWith(header);
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('401 for a bad signature (other secret, or tampered payload)', async () => {
    const other = signToken({ sub: 'alice' }, 'another-secret-0123456789abcdef');
    expectProblem(await placeWith(`Bearer ${other}`), 401, 'UNAUTHENTICATED');
    const [h, , s] = t.token('alice').split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'mallory', exp: nowS() + 60 })).toString('base64url');
    expectProblem(await placeWith(`Bearer ${h}.${forged}.${s}`), 401, 'UNAUTHENTICATED');
  });

  it('401 for alg none and for other algorithms, even when "signed" with the secret', async () => {
    const payload = { sub: 'alice', exp: nowS() + 60 };
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    expectProblem(await placeWith(`Bearer ${none}`), 401, 'UNAUTHENTICATED');
    const hs512 = signJwt({ alg: 'HS512', typ: 'JWT' }, payload, TEST_JWT_SECRET);
    expectProblem(await placeWith(`Bearer ${hs512}`), 401, 'UNAUTHENTICATED');
  });

  it('401 for an expired token, or one without exp', async () => {
    const expired = signToken({ sub: 'alice' }, TEST_JWT_SECRET, { ttlSeconds: -1 });
    const res = await placeWith(`Bearer ${expired}`);
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.body.detail).toMatch(/expired/);
    const noExp = signJwt({ alg: 'HS256' }, { sub: 'alice' }, TEST_JWT_SECRET);
    expectProblem(await placeWith(`Bearer ${noExp}`), 401, 'UNAUTHENTICATED');
  });

  it('401 for a missing or empty sub, and for unknown roles', async () => {
    const exp = nowS() + 60;
    for (const payload of [
      { exp },
      { sub: '', exp },
      { sub: 42, exp },
      { sub: 'a', exp, roles: ['admin'] },
      { sub: 'a', exp, roles: 'support' },
    ]) {
      const token = signJwt({ alg: 'HS256', typ: 'JWT' }, payload, TEST_JWT_SECRET);
      expectProblem(await placeWith(`Bearer ${token}`), 401, 'UNAUTHENTICATED');
    }
  });

  it('a token expiring while cached is refused from then on', () => {
    const verifier = new TokenVerifier(createSecretKey(Buffer.from(TEST_JWT_SECRET)), STAFF_ROLES);
    const token = signToken({ sub: 'alice', roles: ['support'] }, TEST_JWT_SECRET, { ttlSeconds: 10 });
    expect(verifier.verify(token)).toEqual({ userId: 'alice', roles: ['support'] });
    expect(verifier.verify(token)).toEqual({ userId: 'alice', roles: ['support'] });
    expect(() => verifier.verify(token, Date.now() + 11_000)).toThrow(/expired/);
    expect(() => verifier.verify(token.slice(0, -2) + 'xx')).toThrow(/signature/);
  });

  it('403 FORBIDDEN for a valid token of someone who is not a party', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    expectProblem(await post(t, 'eve', `/orders/${orderId}/deliveries`, { message: 'x' }), 403, 'FORBIDDEN');
    expectProblem(
      await post(t, 'ana', `/orders/${orderId}/deliveries`, { message: 'x' }, { roles: ['analyst'] }),
      403,
      'FORBIDDEN',
    );
  });

  it('public routes need no token: /health, /docs, /docs-json', async () => {
    expect((await t.http.get('/health')).status).toBe(200);
    expect((await t.http.get('/docs-json')).status).toBe(200);
    expect((await t.http.get('/docs')).status).toBeLessThan(400);
  });

  it('every other route needs one', async () => {
    expectProblem(
      await t.http.get(`/orders/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/history`),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await t.http.post('/orders/x/start').send({}), 401, 'UNAUTHENTICATED');
  });
});

describe('the JWT secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rc-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('AUTH_JWT_SECRET wins', () => {
    expect(
      resolveJwtSecret({ authJwtSecret: 'configured-secret-123', dataDir: dir, nodeEnv: 'development' }),
    ).toBe('configured-secret-123');
  });

  it('outside production, one is generated into DATA_DIR/jwt-secret (0600) and reused', () => {
    const a = resolveJwtSecret({ dataDir: dir, nodeEnv: 'development' });
    const file = join(dir, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(a);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(resolveJwtSecret({ dataDir: dir, nodeEnv: 'development' })).toBe(a);
  });

  it('in production, none is generated', () => {
    expect(() => resolveJwtSecret({ dataDir: dir, nodeEnv: 'production' })).toThrow(/AUTH_JWT_SECRET/);
  });

  it('an app without AUTH_JWT_SECRET accepts tokens signed with the generated secret', async () => {
    const t = await startTestApp({ dataDir: dir, authJwtSecret: undefined });
    try {
      const secret = readFileSync(join(dir, 'jwt-secret'), 'utf8').trim();
      const res = await t.http
        .post('/orders')
        .set('authorization', `Bearer ${signToken({ sub: 'bob' }, secret)}`)
        .send(orderBody('s-2'));
      expect(res.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

describe('npm run token', () => {
  it('parses <userId> [--role r]... [--ttl 24h]', () => {
    expect(parseTokenArgs(['alice'])).toEqual({ userId: 'alice', roles: [], ttlSeconds: 86_400 });
    expect(parseTokenArgs(['bob', '--role', 'support', '--role=auditor', '--ttl', '30m'])).toEqual({
      userId: 'bob',
      roles: ['support', 'auditor'],
      ttlSeconds: 1800,
    });
    expect(() => parseTokenArgs([])).toThrow(/usage/);
    expect(() => parseTokenArgs(['x', '--role', 'admin'])).toThrow(/unknown role/);
    expect(() => parseTokenArgs(['x', '--ttl', 'soon'])).toThrow(/invalid ttl/);
  });

  it('prints a token the service accepts (same secret file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-cli-'));
    const t = await startTestApp({ dataDir: dir, authJwtSecret: undefined });
    try {
      const root = join(__dirname, '..', '..');
      const out = execFileSync(
        process.execPath,
        [
          join(root, 'scripts/run-ts.cjs'),
          'src/cli/token.cli.ts',
          'carol',
          '--role',
          'auditor',
          '--ttl',
          '1h',
        ],
        { cwd: root, env: { ...process.env, DATA_DIR: dir, AUTH_JWT_SECRET: '', NODE_ENV: 'development' } },
      )
        .toString()
        .trim();
      const key = createSecretKey(Buffer.from(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()));
      expect(verifyToken(out, key, STAFF_ROLES)).toEqual({ userId: 'carol', roles: ['auditor'] });
      const res = await t.http.post('/orders').set('authorization', `Bearer ${out}`).send(orderBody('s-3'));
      expect(res.status).toBe(201);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
