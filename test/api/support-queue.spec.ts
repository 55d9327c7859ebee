// GET /support/cases through the real app with the manual clock: the queue's order (overdue first, then oldest),
// its filters, what waits on whom, cursor paging, who may read it and the refusals of malformed queries.
import { expectProblem, newUser } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute } from './disputes.support';
import { Api, HOUR } from './queries.support';

interface Item {
  caseId: string;
  orderId: string;
  category: string;
  openedBy: string;
  openedAt: string;
  assignee: string | null;
  overdue: boolean;
  firstResponseDueAt: string;
  waitingOn: string | null;
  lastActivityAt: string;
}
interface Queue {
  items: Item[];
  nextCursor: string | null;
}

describe('GET /support/cases', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const agent = newUser('agent');
  const queue = (query = '', as = agent) => api.read<Queue>(as, `/support/cases${query}`, ['support']);
  /** Every page, following nextCursor. */
  const all = async (query: string, limit = 2): Promise<Item[]> => {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const sep = query ? '&' : '?';
      const page: Queue = await queue(`${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };

  it('overdue first, then oldest; filters; waitingOn; pages that add up to the whole queue', async () => {
    const first = await Dispute.placed(api);
    const a = await first.openCase('buyer', { category: 'non_delivery' });
    await api.advance(HOUR);
    const second = await Dispute.placed(api);
    const b = await second.openCase('seller', { category: 'communication' });
    await api.advance(HOUR);
    const third = await Dispute.placed(api);
    const c = await third.openCase('buyer');
    // a and b get a first response; c none yet. (Overdue after 24 h: the queue's order with overdue cases is
    // specified on the projection, support-queue.spec.ts; through HTTP once the overdue deadline is scheduled.)
    await api.ok(agent, `/orders/${first.orderId}/support-cases/${a.caseId}/claim`, {}, ['support']);
    await second.ok('support', `/support-cases/${b.caseId}/messages`, { text: 'Looking into it.' });
    const asked = await second.ok<{ informationRequestId: string }>(
      'support',
      `/support-cases/${b.caseId}/information-requests`,
      { party: 'seller', question: 'When will you deliver?' },
    );
    expect(asked.informationRequestId).toEqual(expect.any(String));
    await api.advance(HOUR);

    const mine = [a.caseId, b.caseId, c.caseId];
    const ours = (items: Item[]) => items.filter((i) => mine.includes(i.caseId));
    const open = await all('');
    expect(ours(open).map((i) => i.caseId)).toEqual([a.caseId, b.caseId, c.caseId]);
    const overdue = open.filter((i) => i.overdue).length;
    expect(open.slice(0, overdue).every((i) => i.overdue)).toBe(true); // overdue first, whatever is overdue
    const [aItem, bItem, cItem] = ours(open);
    expect(cItem).toMatchObject({
      orderId: third.orderId,
      category: 'quality',
      openedBy: 'buyer',
      assignee: null,
      overdue: false,
      waitingOn: 'support',
      firstResponseDueAt: new Date(Date.parse(cItem.openedAt) + 24 * HOUR).toISOString(),
      lastActivityAt: cItem.openedAt,
    });
    expect(aItem).toMatchObject({
      assignee: agent,
      overdue: false,
      openedBy: 'buyer',
      category: 'non_delivery',
    });
    expect(bItem).toMatchObject({ assignee: null, overdue: false, openedBy: 'seller', waitingOn: 'seller' });
    expect(Date.parse(bItem.lastActivityAt)).toBeGreaterThan(Date.parse(bItem.openedAt));

    expect(ours(await all('?assignee=me')).map((i) => i.caseId)).toEqual([a.caseId]);
    expect(ours(await all('?assignee=unassigned')).map((i) => i.caseId)).toEqual([b.caseId, c.caseId]);
    expect(ours(await all('?overdue=true'))).toEqual([]);
    expect(ours(await all('?status=open&overdue=false&assignee=unassigned')).map((i) => i.caseId)).toEqual([
      b.caseId,
      c.caseId,
    ]);

    // Resolved (settled_by_parties too) and withdrawn cases leave the queue.
    await first.ok('support', `/support-cases/${a.caseId}/resolution`, {
      outcome: 'no_action',
      rationale: 'Fine.',
    });
    await third.ok('buyer', `/support-cases/${c.caseId}/withdraw`);
    await second.deliver();
    await second.ok('buyer', '/acceptance');
    expect(ours(await all(''))).toEqual([]);
    const resolved = ours(await all('?status=resolved'));
    expect(resolved.map((i) => i.caseId).sort()).toEqual([a.caseId, b.caseId].sort());
    expect(resolved.every((i) => i.waitingOn === null)).toBe(true);
    expect(ours(await all('?status=withdrawn')).map((i) => i.caseId)).toEqual([c.caseId]);
  });

  it('support and auditors read it; parties and analysts get 403; no token 401', async () => {
    expect((await api.get(newUser('auditor'), '/support/cases', ['auditor'])).status).toBe(200);
    expectProblem(await api.get(newUser('buyer'), '/support/cases'), 403, 'FORBIDDEN');
    expectProblem(await api.get(newUser('analyst'), '/support/cases', ['analyst']), 403, 'FORBIDDEN');
    expectProblem(await api.get(null, '/support/cases'), 401, 'UNAUTHENTICATED');
  });

  it.each([
    ['status=closed', 'status'],
    ['assignee=someone', 'assignee'],
    ['overdue=yes', 'overdue'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['cursor=not-ours', 'cursor'],
    ['sort=newest', 'sort'],
  ])('?%s is a 400 naming %s, before the role check', async (query, field) => {
    for (const roles of [['support'], []] as const) {
      const res = await api.get(agent, `/support/cases?${query}`, [...roles]);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(res.body.errors)).toContain(field);
    }
  });
});
