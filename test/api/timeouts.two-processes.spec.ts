// Exactly once with two service processes on the same DATA_DIR: two real child processes (`node
// scripts/run-ts.cjs src/main.ts`, CLOCK=manual, same SQLite stores) each run their poller over the same
// deadlines; both clocks jump past every deadline at the same moment. The stream histories must show each
// timeout exactly once: the idempotent timeout commands and the append's expected-revision check guarantee it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testToken } from '../support/tokens';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';

jest.setTimeout(180_000);

const SECRET = 'bench-secret-' + 'x'.repeat(32);
const DAY = 24 * 60 * 60 * 1000;
const ORDERS_PER_KIND = 6;

type Service = ServiceProcess;

const startManualClockService = (name: string, dataDir: string) =>
  startServiceProcess({
    name,
    env: {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      CLOCK: 'manual',
      AUTH_JWT_SECRET: SECRET,
      // The manual clocks jump by days: tokens live long enough to span them; no rate limit.
      AUTH_MAX_TOKEN_TTL: '365d',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    readyPath: '/testing/clock',
  });

const TOKEN_TTL_S = 365 * 86_400;
/**
 * The iat of every token: A's manual clock when it started. The services check iat against their own clocks, not
 * the runner's wall clock (a wall-clock iat was "issued in the future" once the starts took over a minute); both
 * manual clocks start at or after A's and only move forward.
 */
let issuedAtMs: number | undefined;
const tokenOf = (user: string | { id: string; roles: string[] }): string =>
  typeof user === 'string'
    ? testToken(user, [], SECRET, { nowMs: issuedAtMs, ttlSeconds: TOKEN_TTL_S })
    : testToken(user.id, user.roles, SECRET, { nowMs: issuedAtMs, ttlSeconds: TOKEN_TTL_S });

async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  user: string | { id: string; roles: string[] } | null,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(user ? { authorization: `Bearer ${tokenOf(user)}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function ok<T = Record<string, unknown>>(...args: Parameters<typeof call>): Promise<T> {
  const r = await call<T>(...args);
  if (r.status >= 300) throw new Error(`${args[1]} ${args[2]}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

describe('two service processes on the same data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-two-processes-'));
  let a: Service;
  let b: Service;

  beforeAll(async () => {
    // One after the other: the first creates the stores' schema.
    a = await startManualClockService('A', dataDir);
    issuedAtMs = Date.parse((await ok<{ now: string }>(a.url, 'GET', '/testing/clock', null)).now);
    b = await startManualClockService('B', dataDir);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every timeout takes effect exactly once', async () => {
    const buyer = randomUUID();
    const seller = randomUUID();
    const place = async (via: Service, deliveryDays = 1) => {
      const orderId = randomUUID();
      await ok(
        via.url,
        'POST',
        '/orders',
        { id: 'checkout-1', roles: ['checkout'] },
        {
          orderId,
          buyerId: buyer,
          sellerId: seller,
          title: 'Logo',
          price: { amount: 5000, currency: 'USD' },
          deliveryDays,
          requirementsNeeded: false,
        },
      );
      return orderId;
    };
    // Orders are created through both processes.
    const cancellations: string[] = [];
    const extrasAndLateness: string[] = [];
    const completions: string[] = [];
    for (let i = 0; i < ORDERS_PER_KIND; i++) {
      const via = i % 2 === 0 ? a : b;
      // Due long after the jump: only the request's timeout applies.
      const c = await place(via, 10);
      await ok(via.url, 'POST', `/orders/${c}/requests`, buyer, {
        type: 'cancellation',
        reason: 'no_longer_needed',
        comment: 'Changed my mind.',
      });
      cancellations.push(c);
      const e = await place(via);
      await ok(via.url, 'POST', `/orders/${e}/extras`, seller, {
        description: 'More',
        amount: 100,
        extraDays: 0,
      });
      extrasAndLateness.push(e);
      const d = await place(via);
      await ok(via.url, 'POST', `/orders/${d}/deliveries`, seller, { message: 'Done.' });
      completions.push(d);
    }

    // Both processes see every deadline, then both jump past all of them at once.
    await Promise.all([a, b].map((s) => ok(s.url, 'POST', '/testing/clock', null, { advanceMs: 0 })));
    const { now } = await ok<{ now: string }>(a.url, 'GET', '/testing/clock', null);
    const target = new Date(Date.parse(now) + 4 * DAY).toISOString();
    const results = await Promise.all(
      [a, b].map((s) =>
        ok<{ deadlinesHandled: number }>(s.url, 'POST', '/testing/clock', null, { now: target }),
      ),
    );
    // Each process fired what it found due; together they covered every deadline (some were fired by both).
    const expected = ORDERS_PER_KIND * (1 + 3 + 1);
    expect(results[0].deadlinesHandled + results[1].deadlinesHandled).toBeGreaterThanOrEqual(expected);

    const typesOf = async (orderId: string) => {
      const h = await ok<{ entries: { type: string; actor: { role: string } }[] }>(
        a.url,
        'GET',
        `/orders/${orderId}/history`,
        buyer,
      );
      return h.entries;
    };
    const countOf = (entries: { type: string }[], type: string) =>
      entries.filter((e) => e.type === type).length;
    for (const id of cancellations) {
      const h = await typesOf(id);
      expect(countOf(h, 'ResolutionRequestExpired')).toBe(1);
      expect(countOf(h, 'OrderCancelled')).toBe(1);
      expect(h.map((e) => e.type)).toEqual([
        'OrderPlaced',
        'ResolutionRequestOpened',
        'ResolutionRequestExpired',
        'OrderCancelled',
      ]);
    }
    for (const id of extrasAndLateness) {
      const h = await typesOf(id);
      expect(h.map((e) => e.type).sort()).toEqual(
        [
          'OrderPlaced',
          'ExtrasOffered',
          'ExtrasOfferLapsed',
          'OrderBecameLate',
          'OrderBecameVeryLate',
        ].sort(),
      );
      expect(h.filter((e) => e.actor.role === 'system')).toHaveLength(3);
    }
    for (const id of completions) {
      const h = await typesOf(id);
      expect(h.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderDelivered', 'OrderCompleted']);
    }
  });
});
