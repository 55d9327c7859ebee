import type autocannon from 'autocannon';
// Write side: ≥ 2,000 orders, then open/withdraw request cycles from 32 connections for ≥ 10 s, and in the same
// run the same service's GET /health as the baseline.
import {
  cannon,
  checkoutToken,
  figures,
  http,
  LoadFigures,
  pool,
  Service,
  signToken,
  startService,
  uuid,
} from './lib';

/**
 * split: an API process + a worker process started separately; single: `npm start`'s default, APP_ROLE=all (its
 * workers in a worker thread); inline: APP_ROLE=all with APP_WORKERS=inline (everything on one event loop, as
 * before); api: the write side alone (APP_ROLE=api, no projections or deadlines running anywhere).
 */
export type Topology = 'split' | 'single' | 'inline' | 'api';

export interface WriteBenchResult {
  /** CPU time of the API (or single) process per answered command, in µs. */
  apiCpuMicrosPerCommand: number;
  topology: Topology;
  orders: number;
  commands: LoadFigures;
  health: LoadFigures;
  /** The service's peak RSS: the API process's, plus its worker child's with APP_ROLE=all. */
  peakRssMb: number;
  workerPeakRssMb: number | null;
}

export async function placeOrders(
  svc: Service,
  count: number,
  buyer: string,
  seller: string,
): Promise<string[]> {
  const token = checkoutToken();
  const ids = Array.from({ length: count }, () => uuid());
  await pool(ids, 32, async (orderId) => {
    const r = await http(`${svc.url}/orders`, 'POST', token, {
      orderId,
      buyerId: buyer,
      sellerId: seller,
      title: 'Logo design',
      price: { amount: 5000, currency: 'USD' },
      deliveryDays: 7,
      requirementsNeeded: false,
    });
    if (r.status !== 201) throw new Error(`place order: ${r.status} ${JSON.stringify(r.body)}`);
  });
  return ids;
}

/** Each autocannon connection cycles: open a cancellation request on the next order, then withdraw it. */
export function openWithdrawCycle(orders: string[]): autocannon.Request[] {
  let cursor = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const context = ctx as Record<string, unknown>;
        const orderId = orders[cursor++ % orders.length];
        context.orderId = orderId;
        return {
          ...req,
          path: `/orders/${orderId}/requests`,
          body: JSON.stringify({ type: 'cancellation', reason: 'no_longer_needed', comment: 'bench' }),
        };
      },
      onResponse: (status, body, ctx) => {
        const context = ctx as Record<string, unknown>;
        context.requestId = status === 201 ? (JSON.parse(body) as { requestId: string }).requestId : null;
      },
    },
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const context = ctx as Record<string, unknown>;
        if (!context.requestId) return undefined as never; // open failed: restart the cycle
        return {
          ...req,
          path: `/orders/${String(context.orderId)}/requests/${String(context.requestId)}/withdraw`,
          body: '{}',
        };
      },
    },
  ];
}

export async function runWriteBench(
  opts: {
    durationSec?: number;
    connections?: number;
    orders?: number;
    topology?: Topology;
    /** The API process's LOG_LEVEL (default warn: no access log); its stdout goes to /dev/null. */
    logLevel?: string;
  } = {},
): Promise<WriteBenchResult> {
  const duration = opts.durationSec ?? 10;
  const connections = opts.connections ?? 32;
  // Production shape (default): a stateless API process and a worker process (projections + deadlines) on the
  // same embedded data, one per core. 'single' runs everything in one process (APP_ROLE=all); 'api' is the write
  // side alone (APP_ROLE=api, no projections or deadlines running anywhere): what the command path itself costs.
  const topology = opts.topology ?? 'split';
  const env: Record<Topology, Record<string, string>> = {
    split: { APP_ROLE: 'api' },
    single: {},
    inline: { APP_WORKERS: 'inline' },
    api: { APP_ROLE: 'api' },
  };
  const svc = await startService(
    { ...env[topology], ...(opts.logLevel ? { LOG_LEVEL: opts.logLevel } : {}) },
    undefined,
    { stdout: opts.logLevel ? 'ignore' : 'inherit' },
  );
  // The worker yields the CPU to the API process (nice 10): on a shared 2-core box the read side absorbs bursts as lag,
  // not as command latency. In production it runs on its own host.
  const worker =
    topology === 'split' ? await startService({ APP_ROLE: 'worker' }, svc.dataDir, { nice: 10 }) : null;
  try {
    const buyer = uuid();
    const seller = uuid();
    const orders = await placeOrders(svc, opts.orders ?? 2000, buyer, seller);
    const auth = `Bearer ${signToken(buyer)}`;
    // Baseline first, on the same service, before the command load (and its projection catch-up) starts.
    const health = await cannon({
      url: `${svc.url}/health`,
      connections,
      duration: Math.max(5, duration / 2),
    });
    const cpuBefore = svc.cpuSeconds();
    const result = await cannon({
      url: svc.url,
      connections,
      duration,
      headers: { authorization: auth, 'content-type': 'application/json' },
      requests: openWithdrawCycle(orders),
    });
    const cpuSeconds = svc.cpuSeconds() - cpuBefore;
    return {
      topology,
      orders: orders.length,
      commands: figures('open/withdraw commands', result),
      apiCpuMicrosPerCommand: Math.round((cpuSeconds * 1e6) / Math.max(1, result['2xx'])),
      health: figures('GET /health (baseline)', health),
      peakRssMb: svc.peakRssMb(),
      workerPeakRssMb: worker?.peakRssMb() ?? null,
    };
  } finally {
    await worker?.stop();
    await svc.stop();
  }
}
