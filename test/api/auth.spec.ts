// Authentication: HS256 JWTs verified strictly (401 UNAUTHENTICATED otherwise), the public routes, the secret
// file generated outside production, and the token CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretKeys, TokenVerifier } from '../../src/auth/jwt';
import { resolveJwtSecret } from '../../src/auth/jwt-secret';
import { parseTokenArgs } from '../../src/cli/token.cli';
import { STAFF_ROLES } from '../../src/orders/domain/order.types';
import { CHECKOUT, expectProblem, inProgressOrder, orderBody, parties, post } from '../support/orders';
import { startTestApp, TestApp } from '../support/test-app';
import { testToken } from '../support/tokens';

// The token CLI runs as a child process: slow on a loaded machine.
jest.setTimeout(30_000);

describe('authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const placeWith = (authorization?: string) => {
    const req = t.http.post('/orders');
    return (authorization === undefined ? req : req.set('authorization', authorization)).send(
      orderBody(parties()),
    );
  };

  it('accepts a valid token', async () => {
    expect((await placeWith(`Bearer ${t.token(CHECKOUT, ['checkout'])}`)).status).toBe(201);
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

  // Claims, algorithms, lifetimes, JWKS: test/api/edge-auth.spec.ts.

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
        .set('authorization', `Bearer ${testToken('checkout-2', ['checkout'], secret)}`)
        .send(orderBody(parties()));
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
    expect(() => parseTokenArgs(['x', '--ttl', 'soon'])).toThrow(/invalid duration/);
    expect(() => parseTokenArgs(['system'])).toThrow(/invalid user id/);
    expect(() => parseTokenArgs(['a b'])).toThrow(/invalid user id/);
    expect(parseTokenArgs(['checkout-1', '--role', 'checkout']).roles).toEqual(['checkout']);
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
          'checkout-3',
          '--role',
          'checkout',
          '--ttl',
          '1h',
        ],
        { cwd: root, env: { ...process.env, DATA_DIR: dir, AUTH_JWT_SECRET: '', NODE_ENV: 'development' } },
      )
        .toString()
        .trim();
      const verifier = new TokenVerifier(secretKeys(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()), {
        roles: STAFF_ROLES,
        maxTtlSeconds: 86_400,
        now: () => new Date(),
      });
      expect(await verifier.verify(out)).toEqual({ userId: 'checkout-3', roles: ['checkout'] });
      const res = await t.http
        .post('/orders')
        .set('authorization', `Bearer ${out}`)
        .send(orderBody(parties()));
      expect(res.status).toBe(201);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
