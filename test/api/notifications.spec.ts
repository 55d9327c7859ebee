// GET /notifications (api.md): what the other party, support or the system did to the caller's orders, newest
// first. Starting the work (requirements in, or started without them) and the system's lateness marks (timeouts).
import { newUser } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Api, DAY, HOUR } from './queries.support';

type Notification = { type: string; orderId: string; actor: { id: string; role: string }; data: object };

describe('GET /notifications: the start of the work and lateness', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const inbox = async (userId: string, orderId: string) =>
    (await api.read<{ items: Notification[] }>(userId, '/notifications')).items
      .filter((n) => n.orderId === orderId)
      .map((n) => `${n.actor.role}:${n.type}`);

  it('the seller is told the requirements are in (the due date runs), the buyer that the seller started without them', async () => {
    const buyer = newUser('buyer');
    const seller = newUser('seller');
    const submitted = await api.place(buyer, seller);
    await api.ok(buyer, `/orders/${submitted}/requirements`, { text: 'A fox, orange.' });
    expect(await inbox(seller, submitted)).toEqual(['buyer:RequirementsSubmitted']);
    expect(await inbox(buyer, submitted)).toEqual([]);
    const items = (await api.read<{ items: Notification[] }>(seller, '/notifications')).items;
    expect(items[0].data).toMatchObject({ text: 'A fox, orange.', dueAt: expect.any(String) });

    const started = await api.place(buyer, seller);
    await api.ok(seller, `/orders/${started}/start`);
    expect(await inbox(buyer, started)).toEqual(['seller:WorkStartedWithoutRequirements']);
    expect(await inbox(seller, started)).toEqual([]);
  });

  it('both parties are told when the system marks the order late, then very late', async () => {
    const buyer = newUser('buyer');
    const seller = newUser('seller');
    const orderId = await api.place(buyer, seller, { requirementsNeeded: false, deliveryDays: 1 });
    await api.advance(DAY + HOUR);
    for (const who of [buyer, seller]) expect(await inbox(who, orderId)).toEqual(['system:OrderBecameLate']);
    await api.advance(DAY);
    for (const who of [buyer, seller]) {
      expect(await inbox(who, orderId)).toEqual(['system:OrderBecameVeryLate', 'system:OrderBecameLate']);
    }
  });
});
