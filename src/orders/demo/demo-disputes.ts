// The demo's disputes: partial refund offers (accepted, declined, left to lapse) and support cases in every state
// (open, claimed with messages and statements, waiting on information, resolved with each outcome, withdrawn).
import { randomUUID } from 'node:crypto';
import type { StaffRole } from '../domain/order.types';

const DAY = 24 * 60 * 60 * 1000;
const SUPPORT: StaffRole[] = ['support'];

/** What the demo's client offers (demo.ts): a command that must succeed. */
export interface DemoClient {
  ok<T = Record<string, unknown>>(sub: string, path: string, body?: unknown, roles?: StaffRole[]): Promise<T>;
}

const screenshot = (n: number) => ({
  name: `screenshot-${n}.png`,
  contentType: 'image/png',
  sizeBytes: 240_000 + n,
  sha256: `${'0'.repeat(62)}${String(n).padStart(2, '0')}`,
  url: `https://files.example.com/evidence/${randomUUID()}.png`,
});

/** Drives the disputes; returns an order whose page shows a case with a thread (for the printed URLs). */
export async function driveDisputes(
  c: DemoClient,
  advance: (ms: number) => Promise<void>,
  manualClock: boolean,
): Promise<string> {
  const agent = 'agent-smith';
  const buyer = 'buyer-01';
  const seller = 'ana-designs';
  const place = async (delivered = false): Promise<string> => {
    // Orders come from the marketplace's checkout, naming the buyer.
    const { orderId } = await c.ok<{ orderId: string }>(
      'checkout-demo',
      '/orders',
      {
        orderId: randomUUID(),
        buyerId: buyer,
        sellerId: seller,
        title: 'Brand identity package',
        price: { amount: 20_000, currency: 'USD' },
        deliveryDays: 7,
        requirementsNeeded: false,
      },
      ['checkout'],
    );
    if (delivered) await c.ok(seller, `/orders/${orderId}/deliveries`, { message: 'All files attached.' });
    return orderId;
  };
  const offer = (orderId: string, amount: number, reason: string) =>
    c.ok<{ requestId: string }>(seller, `/orders/${orderId}/requests`, {
      type: 'partial_refund',
      amount,
      reason,
      comment: 'A partial refund for the trouble.',
    });
  const openCase = async (orderId: string, by: string, category: string, description: string) =>
    (
      await c.ok<{ caseId: string }>(by, `/orders/${orderId}/support-cases`, {
        category,
        description,
        evidence: [screenshot(1), screenshot(2)],
      })
    ).caseId;
  const onCase = (orderId: string, caseId: string) => `/orders/${orderId}/support-cases/${caseId}`;

  // Partial refunds: accepted (twice, within 60 % together), declined, and one left to lapse after 48 h.
  const refunded = await place();
  for (const amount of [3000, 2000]) {
    const { requestId } = await offer(refunded, amount, 'delay_compensation');
    await c.ok(buyer, `/orders/${refunded}/requests/${requestId}/accept`, {});
  }
  const declined = await place();
  const { requestId: no } = await offer(declined, 5000, 'partial_dissatisfaction');
  await c.ok(buyer, `/orders/${declined}/requests/${no}/decline`, {
    comment: 'I would rather have the fix.',
  });
  if (manualClock) await offer(await place(), 4000, 'scope_changed');

  // Resolved with each outcome.
  const outcomes: Array<[string, Record<string, unknown>, boolean]> = [
    ['partial_refund', { amount: 8000 }, false],
    ['extend_due_date', { newDueAt: new Date(Date.now() + 60 * DAY).toISOString() }, false],
    ['cancel_order', { countsTowardCompletionRate: true }, false],
    ['complete_order', {}, true],
    ['no_action', {}, false],
  ];
  for (const [outcome, extra, delivered] of outcomes) {
    const orderId = await place(delivered);
    const caseId = await openCase(orderId, buyer, 'quality', 'The colours do not match the brief.');
    await c.ok(agent, `${onCase(orderId, caseId)}/claim`, {}, SUPPORT);
    await c.ok(agent, `${onCase(orderId, caseId)}/messages`, { text: 'I am reviewing the files.' }, SUPPORT);
    await c.ok(
      agent,
      `${onCase(orderId, caseId)}/resolution`,
      {
        outcome,
        rationale: `Resolved after reviewing the brief and the delivery (${outcome}).`,
        ...extra,
      },
      SUPPORT,
    );
  }

  // Withdrawn by its opener (the seller).
  const withdrawn = await place();
  const w = await openCase(withdrawn, seller, 'communication', 'The buyer does not answer my questions.');
  await c.ok(seller, `${onCase(withdrawn, w)}/withdraw`, {});

  // Time passes: the lapsing offer expires.
  await advance(2 * DAY + 60_000);

  // Open, as yet without a first response (overdue after 24 h).
  const open = await place(true);
  await openCase(open, buyer, 'non_delivery', 'The source files are missing.');
  // Claimed, with messages and statements from both parties.
  const discussed = await place(true);
  const d = await openCase(discussed, seller, 'scope_dispute', 'The buyer asks for a second logo for free.');
  await c.ok(agent, `${onCase(discussed, d)}/claim`, {}, SUPPORT);
  await c.ok(agent, `${onCase(discussed, d)}/messages`, { text: 'Thanks, I have read the brief.' }, SUPPORT);
  await c.ok(buyer, `${onCase(discussed, d)}/statements`, { text: 'The brief said two concepts.' });
  await c.ok(seller, `${onCase(discussed, d)}/statements`, {
    text: 'Two concepts, one final logo.',
    evidence: [screenshot(3)],
  });
  // Waiting on information from the buyer.
  const waiting = await place();
  const i = await openCase(waiting, seller, 'communication', 'No requirements after a week.');
  await c.ok(agent, `${onCase(waiting, i)}/messages`, { text: 'Let me ask the buyer.' }, SUPPORT);
  await c.ok(
    agent,
    `${onCase(waiting, i)}/information-requests`,
    {
      party: 'buyer',
      question: 'Could you send the requirements, or tell us what is holding them up?',
    },
    SUPPORT,
  );
  return discussed;
}
