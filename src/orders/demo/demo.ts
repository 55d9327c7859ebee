// npm run demo [-- --url http://host:port] [--orders 60] [--exit]
// Starts the service (CLOCK=manual, a fresh DATA_DIR unless one is set; PORT or 3000) or targets a running one,
// then drives a realistic mix through the HTTP API: orders placed, requirements, extras offered and answered,
// deliveries and revisions, every kind of request answered, declined, withdrawn or left to expire, cancellations
// of every mode, buyers reordering after a mutual cancellation, partial refunds and support cases in every state
// (demo-disputes.ts), and (with the manual clock) time passing so timeouts fire. Prints a few URLs and tokens to try; keeps the service running until Ctrl-C (unless --exit).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../app.factory';
import { signToken } from '../../auth/jwt';
import { resolveJwtSecret } from '../../auth/jwt-secret';
import { loadConfig } from '../../platform/config/config';
import type { StaffRole } from '../domain/order.types';
import { driveDisputes } from './demo-disputes';

const DAY = 24 * 60 * 60 * 1000;

interface Options {
  url: string | null;
  orders: number;
  exit: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { url: null, orders: 60, exit: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') o.url = argv[++i] ?? null;
    else if (a === '--orders') o.orders = Math.max(10, Number(argv[++i]) || 60);
    else if (a === '--exit') o.exit = true;
    else throw new Error(`unknown argument ${a}; usage: npm run demo -- [--url URL] [--orders N] [--exit]`);
  }
  return o;
}

class Client {
  lastPosition = '0';
  /** The service's clock minus ours (CLOCK=manual moves it): tokens are issued at the service's time. */
  clockOffsetMs = 0;
  constructor(
    readonly base: string,
    private readonly secret: string,
  ) {}

  token(sub: string, roles: StaffRole[] = []): Promise<string> {
    return signToken({ sub, roles }, this.secret, {
      ttlSeconds: 3600,
      nowMs: Date.now() + this.clockOffsetMs,
    });
  }

  /** Follows the service's clock (CLOCK=manual): after every move of it. */
  async syncClock(): Promise<void> {
    const r = await this.call<{ now?: string }>('GET', '/testing/clock', null);
    if (r.status === 200 && r.body.now) this.clockOffsetMs = Date.parse(r.body.now) - Date.now();
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    as: { sub: string; roles?: StaffRole[] } | null,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(as ? { authorization: `Bearer ${await this.token(as.sub, as.roles)}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { position?: string };
    if (
      res.ok &&
      typeof parsed.position === 'string' &&
      BigInt(parsed.position) > BigInt(this.lastPosition)
    ) {
      this.lastPosition = parsed.position;
    }
    return { status: res.status, body: parsed };
  }

  /** A command that must succeed (the demo only does what the rules allow). */
  async ok<T = Record<string, unknown>>(
    sub: string,
    path: string,
    body: unknown = {},
    roles?: StaffRole[],
  ): Promise<T> {
    const r = await this.call<T>('POST', path, { sub, roles }, body);
    if (r.status >= 300) throw new Error(`POST ${path} as ${sub}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

const CHECKOUT = 'checkout-demo';

/** Small deterministic randomness, so two runs tell the same story. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function drive(
  c: Client,
  count: number,
  manualClock: boolean,
): Promise<{ sample: string; dispute: string; seller: string; buyer: string }> {
  const random = prng(2025);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const sellers = ['ana-designs', 'bram-dev', 'chloe-copy', 'dev-studio', 'emma-voice'];
  const buyers = Array.from({ length: 12 }, (_, i) => `buyer-${String(i + 1).padStart(2, '0')}`);
  const titles = [
    'Logo design',
    'Landing page copy',
    'Podcast intro',
    'Pitch deck',
    'Product photos',
    'Translation',
  ];
  const place = async (buyer: string, seller: string, requirementsNeeded: boolean): Promise<string> => {
    const body = {
      orderId: randomUUID(),
      buyerId: buyer,
      sellerId: seller,
      title: pick(titles),
      price: { amount: 2500 + Math.floor(random() * 20) * 500, currency: 'USD' },
      deliveryDays: 2 + Math.floor(random() * 6),
      requirementsNeeded,
    };
    // Orders come from the marketplace's checkout, naming the buyer.
    return (await c.ok<{ orderId: string }>(CHECKOUT, '/orders', body, ['checkout'])).orderId;
  };
  const advance = async (ms: number): Promise<void> => {
    if (manualClock) {
      await c.call('POST', '/testing/clock', null, { advanceMs: ms });
      await c.syncClock();
    }
  };

  let sample = '';
  const late: { id: string; buyer: string }[] = [];
  const waitingExpiry: string[] = [];
  for (let i = 0; i < count; i++) {
    const buyer = pick(buyers);
    const seller = pick(sellers);
    const scenario = i % 10;
    const withRequirements = scenario !== 3;
    const id = await place(buyer, seller, withRequirements);
    const at = `/orders/${id}`;
    if (scenario === 0) {
      // The buyer changes their mind before sending requirements: does not count for the seller.
      await c.ok(buyer, `${at}/cancellation`, {
        reason: 'ordered_by_mistake',
        comment: 'Wrong package, sorry',
      });
      continue;
    }
    if (withRequirements) {
      if (random() < 0.8)
        await c.ok(buyer, `${at}/requirements`, { text: 'Brand colours: teal and sand. Logo attached.' });
      else await c.ok(seller, `${at}/start`);
    }
    if (random() < 0.4) {
      const { offerId } = await c.ok<{ offerId: string }>(seller, `${at}/extras`, {
        description: 'Source files and a second concept',
        amount: 1500,
        extraDays: 2,
      });
      const r = random();
      if (r < 0.5) await c.ok(buyer, `${at}/extras/${offerId}/accept`);
      else if (r < 0.8) await c.ok(buyer, `${at}/extras/${offerId}/decline`);
      // else: left to lapse after 48 h
    }
    switch (scenario) {
      case 1: {
        // Mutual cancellation; sometimes the buyer comes back to the same seller within 14 days.
        const { requestId } = await c.ok<{ requestId: string }>(seller, `${at}/requests`, {
          type: 'cancellation',
          reason: 'cannot_deliver',
          comment: 'I am fully booked this month, sorry.',
        });
        await c.ok(buyer, `${at}/requests/${requestId}/accept`, { comment: 'No problem.' });
        if (random() < 0.5) {
          const again = await place(buyer, seller, false);
          await c.ok(seller, `/orders/${again}/deliveries`, { message: 'Here it is after all!' });
          await c.ok(buyer, `/orders/${again}/acceptance`);
        }
        continue;
      }
      case 2: {
        // Extension asked and accepted, then delivered and accepted.
        const { requestId } = await c.ok<{ requestId: string }>(seller, `${at}/requests`, {
          type: 'delivery_extension',
          comment: 'The illustrations take longer than planned.',
          proposedDueAt: new Date(Date.now() + 30 * DAY).toISOString(),
        });
        if (random() < 0.7) await c.ok(buyer, `${at}/requests/${requestId}/accept`, {});
        else await c.ok(buyer, `${at}/requests/${requestId}/decline`, { comment: 'I need it on time.' });
        break;
      }
      case 4: {
        // The buyer asks for an update; the seller answers with one.
        const { requestId } = await c.ok<{ requestId: string }>(buyer, `${at}/requests`, {
          type: 'order_update',
          comment: 'How is it going?',
        });
        await c.ok(seller, `${at}/requests/${requestId}/accept`, {
          comment: 'First drafts are ready tomorrow.',
        });
        break;
      }
      case 5: {
        // A cancellation request, declined or withdrawn, then the order goes on.
        const { requestId } = await c.ok<{ requestId: string }>(buyer, `${at}/requests`, {
          type: 'cancellation',
          reason: 'no_longer_needed',
          comment: 'Our event was cancelled.',
        });
        if (random() < 0.5)
          await c.ok(seller, `${at}/requests/${requestId}/decline`, { comment: 'Almost done!' });
        else await c.ok(buyer, `${at}/requests/${requestId}/withdraw`);
        break;
      }
      case 6:
        // Support steps in.
        await c.ok(
          'agent-smith',
          `${at}/cancellation`,
          random() < 0.5
            ? { reason: 'fraud', comment: 'Payment reversed', countsTowardCompletionRate: false }
            : { reason: 'terms_violation', comment: 'Off-platform contact' },
          ['support'],
        );
        continue;
      case 7:
        if (manualClock) {
          // Left unanswered: the cancellation request auto-accepts after 48 h.
          await c.ok(buyer, `${at}/requests`, {
            type: 'cancellation',
            reason: 'seller_unresponsive',
            comment: 'Hello?',
          });
          waitingExpiry.push(id);
          continue;
        }
        break;
      case 8:
        if (manualClock) {
          late.push({ id, buyer }); // never delivered: very late, then cancelled by the buyer
          continue;
        }
        break;
    }
    await c.ok(seller, `${at}/deliveries`, { message: 'Delivered: see the attached files.' });
    if (random() < 0.25) {
      await c.ok(buyer, `${at}/revisions`, { message: 'Could the logo be a bit larger?' });
      await c.ok(seller, `${at}/deliveries`, { message: 'Updated version attached.' });
    }
    if (scenario === 9 && manualClock) continue; // left delivered: completes automatically after 3 days
    await c.ok(buyer, `${at}/acceptance`);
    if (!sample) sample = id;
  }
  if (manualClock) {
    // Time passes: requests expire, extras lapse, delivered orders complete, late orders become very late.
    await advance(3 * DAY + 60_000);
    await advance(30 * DAY);
    for (const o of late) {
      const r = await c.call(
        'POST',
        `/orders/${o.id}/cancellation`,
        { sub: o.buyer },
        { reason: 'late_delivery' },
      );
      if (r.status >= 300)
        console.warn(`forced cancellation of ${o.id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
  void waitingExpiry;
  const dispute = await driveDisputes(c, advance, manualClock);
  return { sample, dispute, seller: sellers[0], buyer: buyers[0] };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let base = options.url;
  let secret: string;
  let close: (() => Promise<void>) | null = null;
  let manualClock = false;
  if (base) {
    // Targeting a running service: its secret (AUTH_JWT_SECRET, or the one generated into DATA_DIR).
    secret = resolveJwtSecret(loadConfig(process.env));
  } else {
    const dataDir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'rc-demo-'));
    const config = loadConfig(process.env, { dataDir, clock: (process.env.CLOCK as 'system') ?? 'manual' });
    const app = await createApp({ ...config, rateLimitPerMinute: 0 });
    const port = config.port;
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
    secret = resolveJwtSecret(config);
    close = () => app.close();
    console.log(`service started on ${base} (data in ${dataDir})`);
  }
  const c = new Client(base, secret);
  manualClock = (await c.call('GET', '/testing/clock', null)).status === 200;
  if (manualClock) await c.syncClock();
  const started = Date.now();
  const { sample, dispute, seller, buyer } = await drive(c, options.orders, manualClock);
  // Read-your-writes: these reads wait until the read models show everything driven above.
  const min = `minPosition=${c.lastPosition}`;
  await c.call('GET', `/orders?${min}`, { sub: buyer });
  const analyst = { sub: 'ada-analyst', roles: ['analyst', 'support', 'auditor'] as StaffRole[] };
  const clock = manualClock ? (await c.call<{ now: string }>('GET', '/testing/clock', null)).body.now : null;
  const today = (clock ?? new Date().toISOString()).slice(0, 10);
  const from = new Date(Date.parse(today) - 60 * DAY).toISOString().slice(0, 10);
  console.log(
    `\ndrove ${options.orders} orders through the API in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(${manualClock ? 'with' : 'without'} the manual clock); last position ${c.lastPosition}\n`,
  );
  console.log('Try (curl -H "Authorization: Bearer $TOKEN" ...):');
  console.log(`  ${base}/docs                                   the OpenAPI UI`);
  if (sample) {
    console.log(`  ${base}/orders/${sample}           an order page (buyer, seller, support, auditor)`);
    console.log(`  ${base}/orders/${sample}/history   its history`);
  }
  console.log(
    `  ${base}/orders/${dispute}           a support case with its thread, refunds (any token above)`,
  );
  console.log(`  ${base}/orders?as=buyer                        my orders (buyer token)`);
  console.log(`  ${base}/notifications                          what the other side did`);
  console.log(`  ${base}/sellers/${seller}/completion-rate   (seller or analyst token)`);
  console.log(`  ${base}/analytics/cancellations?from=${from}&to=${today}   (analyst token)`);
  console.log(`  ${base}/health`);
  console.log('\nTokens (valid 1 h):');
  console.log(`  buyer   ${buyer}: ${await c.token(buyer)}`);
  console.log(`  seller  ${seller}: ${await c.token(seller)}`);
  console.log(`  analyst+support+auditor: ${await c.token(analyst.sub, analyst.roles)}`);
  if (!close) return;
  if (options.exit) {
    await close();
    return;
  }
  console.log('\nCtrl-C to stop.');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await close();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
