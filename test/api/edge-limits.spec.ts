// Probes of the edge against the real app on a real port: slow headers and unfinished bodies are cut, the
// connection cap holds, bodies over 64 KiB are 413, rate limits answer 429 with Retry-After, every response
// carries nosniff and a correlation id (authenticated ones no-store), CORS only for the allowed origins.
import { connect, type Socket } from 'node:net';
import { BODY_LIMIT_BYTES } from '../../src/app.factory';
import { expectProblem, orderBody, parties, postOrder } from '../support/orders';
import { bearer, startTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';
import { testToken } from '../support/tokens';

/** Connects, runs `write`, resolves with what the server sent once it closes the connection. */
function untilClosed(port: number, write: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => write(socket));
    socket.on('data', (b) => (received += b.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    setTimeout(() => reject(new Error(`the server never closed the connection: ${received}`)), 8_000).unref();
  });
}

const open = (port: number) =>
  new Promise<Socket>((done, fail) => {
    const s = connect(port, '127.0.0.1', () => done(s));
    s.on('error', fail);
  });

describe('server timeouts and the connection cap', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    // The production limits (10 s, 30 s, 5 s) shortened through the same settings, so the probes take moments.
    t = await startTestApp({
      serverTimeouts: {
        headersTimeoutMs: 300,
        requestTimeoutMs: 600,
        keepAliveTimeoutMs: 200,
        checkIntervalMs: 50,
      },
      maxConnections: 4,
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(() => t?.close());

  it('headers trickling in one line at a time are cut with 408', async () => {
    const received = await untilClosed(port, (socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('X-A: b\r\n'), 50);
      socket.on('close', () => clearInterval(drip));
    });
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a body that never completes is cut with 408', async () => {
    const received = await untilClosed(port, (socket) =>
      socket.write(
        'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      ),
    );
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('an idle keep-alive connection is closed after its answer', async () => {
    const received = await untilClosed(port, (socket) =>
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    expect(received).toMatch(/^HTTP\/1\.1 200/);
  });

  it('connections over the cap are closed at once; /health answers again when they go', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open(port)));
    const refused = await untilClosed(port, (socket) =>
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    expect(refused).toBe('');
    held.forEach((s) => s.destroy());
    let answer = '';
    for (let i = 0; i < 50 && !answer.startsWith('HTTP/1.1 200'); i++) {
      answer = await untilClosed(port, (socket) =>
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('limits, headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ corsOrigins: ['https://app.example'] });
  });
  afterAll(() => t?.close());

  it('413 PAYLOAD_TOO_LARGE for a body over 64 KiB, before authentication', async () => {
    const body = { ...orderBody(parties()), title: 'x'.repeat(BODY_LIMIT_BYTES) };
    expectProblem(await t.http.post('/orders').send(body), 413, 'PAYLOAD_TOO_LARGE');
    expectProblem(await postOrder(t, body, { as: 'checkout-413' }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('every response: nosniff and a correlation id (echoed or made); authenticated ones: no-store', async () => {
    const health = await t.http.get('/health').set('x-correlation-id', 'corr-1');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['x-correlation-id']).toBe('corr-1');
    const missing = await t.http.get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    expect(missing.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const read = await t.http.get('/notifications').set(bearer(t.token('hdr-user')));
    expect(read.status).toBe(200);
    expect(read.headers['cache-control']).toBe('no-store');
    expect(read.headers['x-content-type-options']).toBe('nosniff');
    const unauthenticated = await t.http.get('/notifications').set('authorization', 'Bearer nope');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['cache-control']).toBe('no-store');
    expect(unauthenticated.headers['x-correlation-id']).toEqual(expect.any(String));
  });

  it('CORS: the allowed origin gets its headers, any other none', async () => {
    const allowed = await t.http
      .options('/orders')
      .set('origin', 'https://app.example')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type,idempotency-key');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await t.http.get('/health').set('origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limits (RATE_LIMIT_PER_MINUTE=5 here)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ rateLimitPerMinute: 5 });
  });
  afterAll(() => {
    jest.useRealTimers();
    return t?.close();
  });

  it('429 RATE_LIMITED with Retry-After: per sub, per address without a valid token; /health exempt; a fixed window', async () => {
    jest.useFakeTimers({
      doNotFake: [
        'nextTick',
        'setImmediate',
        'setTimeout',
        'setInterval',
        'clearTimeout',
        'clearInterval',
        'clearImmediate',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    const alice = t.token('rl-alice');
    for (let i = 0; i < 5; i++)
      expect((await t.http.get('/notifications').set(bearer(alice))).status).toBe(200);
    const limited = await t.http.get('/notifications').set(bearer(alice));
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another caller has their own budget.
    expect((await t.http.get('/notifications').set(bearer(t.token('rl-bob')))).status).toBe(200);
    // Forged tokens count against the sender's address, whatever sub they name (4 left of this address's 5).
    for (let i = 0; i < 5; i++) {
      const forged = testToken(`forger-${i}`, [], 'not-the-secret-0123456789abcdef0123');
      expectProblem(await t.http.get('/notifications').set(bearer(forged)), 401, 'UNAUTHENTICATED');
    }
    expectProblem(
      await t.http.get('/notifications').set(bearer(testToken('forger-x', [], 'x'.repeat(40)))),
      429,
      'RATE_LIMITED',
    );
    expectProblem(await t.http.get('/notifications'), 429, 'RATE_LIMITED');
    // /health is exempt.
    for (let i = 0; i < 8; i++) expect((await t.http.get('/health')).status).toBe(200);
    // A valid token still has its own budget; the window ends after a minute.
    jest.setSystemTime(Date.now() + 61_000);
    expect(
      (await t.http.get('/notifications').set(bearer(testToken('rl-alice', [], TEST_JWT_SECRET)))).status,
    ).toBe(200);
    expectProblem(await t.http.get('/notifications'), 401, 'UNAUTHENTICATED');
  });
});
