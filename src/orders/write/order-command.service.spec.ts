import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../platform/clock/clock.port';
import { EventStore, WrongExpectedRevisionError } from '../../platform/event-store/event-store.port';
import { InMemoryEventStore } from '../../platform/event-store/in-memory/in-memory-event-store';
import { DomainError } from '../domain/errors';
import { streamNameOf, SYSTEM_ACTOR, type Caller } from '../domain/order.types';
import { KeyedMutex } from './keyed-mutex';
import {
  MAX_APPEND_ATTEMPTS,
  OrderCommandInput,
  OrderCommandService,
  orderIdForIdempotencyKey,
} from './order-command.service';

/** No real waiting between retries in tests. */
class ImpatientOrderCommandService extends OrderCommandService {
  protected override pause(): Promise<void> {
    return Promise.resolve();
  }
}

const buyer: Caller = { userId: 'buyer-1', roles: [] };
const seller: Caller = { userId: 'seller-1', roles: [] };
const checkout: Caller = { userId: 'checkout-1', roles: ['checkout'] };

const place = (orderId: string): OrderCommandInput => ({
  type: 'PlaceOrder',
  data: {
    orderId,
    buyerId: buyer.userId,
    sellerId: seller.userId,
    title: 'Logo',
    price: { amount: 5000, currency: 'USD' },
    deliveryDays: 7,
    requirementsNeeded: false,
  },
});
const cancellation = { requestType: 'cancellation', reason: 'other', comment: 'x' } as const;
/** Under the sender's id (a new one unless given); `null`: none, the service mints it. */
const openCancellation = (requestId: string | null = randomUUID()): OrderCommandInput => ({
  type: 'OpenRequest',
  data: requestId === null ? cancellation : { ...cancellation, requestId },
});

describe('OrderCommandService', () => {
  let store: InMemoryEventStore;
  let clock: ManualClock;
  let service: OrderCommandService;
  beforeEach(() => {
    clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    store = new InMemoryEventStore({ now: () => clock.now() });
    service = new OrderCommandService(store, clock);
  });
  afterEach(() => store.close());

  it('places, decides with the clock and records actor, correlation and causation', async () => {
    const orderId = randomUUID();
    const out = await service.execute(place(orderId), { orderId, caller: checkout, correlationId: 'corr' });
    expect(out).toMatchObject({ orderId, revision: 0, position: '1', replayed: false });
    const [e] = await store.readStream(streamNameOf(orderId));
    expect(e.data).toMatchObject({ placedAt: '2030-01-01T00:00:00.000Z' });
    expect(e.metadata).toEqual({
      actor: { id: buyer.userId, role: 'buyer' },
      submittedBy: checkout.userId,
      correlationId: 'corr',
      causationId: expect.any(String),
      schemaVersion: 1,
    });
  });

  it('only the checkout places orders: a buyer placing their own is FORBIDDEN, and nothing is written', async () => {
    const orderId = randomUUID();
    await expect(service.execute(place(orderId), { orderId, caller: buyer })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await store.readStream(streamNameOf(orderId))).toEqual([]);
  });

  it('ORDER_NOT_FOUND before FORBIDDEN; FORBIDDEN for callers who are not a party', async () => {
    const orderId = randomUUID();
    await expect(service.execute(openCancellation(), { orderId, caller: buyer })).rejects.toMatchObject({
      code: 'ORDER_NOT_FOUND',
    });
    await service.execute(place(orderId), { orderId, caller: checkout });
    await expect(
      service.execute(openCancellation(), { orderId, caller: { userId: 'eve', roles: ['auditor'] } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('accepts system commands with the actor as given, and returns no events when nothing is due', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const out = await service.execute({ type: 'RecordLateness', data: {} }, { orderId, actor: SYSTEM_ACTOR });
    expect(out).toMatchObject({ revision: 0, position: '1', events: [] });
    clock.advance(9 * 24 * 3600 * 1000);
    const late = await service.execute(
      { type: 'RecordLateness', data: {} },
      { orderId, actor: SYSTEM_ACTOR },
    );
    expect(late.events.map((e) => e.type)).toEqual(['OrderBecameLate', 'OrderBecameVeryLate']);
    const events = await store.readStream(streamNameOf(orderId));
    expect(events[2].metadata.actor).toEqual(SYSTEM_ACTOR);
  });

  it("decides a timeout at its deadline's dueAt when the clock has passed it, never later than the clock", async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout }); // dueAt 2030-01-08
    clock.advance(30 * 24 * 3600 * 1000);
    const dueAt = '2030-01-08T00:00:00.001Z';
    const late = await service.execute(
      { type: 'RecordLateness', data: {} },
      { orderId, actor: SYSTEM_ACTOR, dueAt },
    );
    expect(late.events).toEqual([
      { type: 'OrderBecameLate', data: { orderId, dueAt: '2030-01-08T00:00:00.000Z', recordedAt: dueAt } },
    ]);
    const future = await service.execute(
      { type: 'RecordLateness', data: {} },
      { orderId, actor: SYSTEM_ACTOR, dueAt: '2031-01-01T00:00:00.000Z' },
    );
    expect(future.events[0].data).toMatchObject({ recordedAt: clock.now().toISOString() });
  });

  it('serializes concurrent commands on one order: one opens, the others are refused by the rule', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => service.execute(openCancellation(), { orderId, caller: buyer })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'REQUEST_ALREADY_OPEN' });
    }
    expect((await store.readStream(streamNameOf(orderId))).map((e) => e.revision)).toEqual([0, 1]);
  });

  it('another process writing the order: the stale cached state fails the append, is re-read, and wins', async () => {
    const orderId = randomUUID();
    const other = new OrderCommandService(store, clock); // a second process on the same store
    await service.execute(place(orderId), { orderId, caller: checkout });
    const opened = await service.execute(openCancellation(), { orderId, caller: buyer });
    const requestId = (opened.events[0].data as { requestId: string }).requestId;
    // The other process withdraws; `service` still has the request open in its cache.
    await other.execute({ type: 'WithdrawRequest', data: { requestId } }, { orderId, caller: buyer });
    // A refusal decided on the stale cache (REQUEST_ALREADY_OPEN) is confirmed on the stream: it succeeds.
    const again = await service.execute(openCancellation(), { orderId, caller: buyer });
    expect(again.revision).toBe(3);
    // And a success decided on a stale cache is caught by the expected revision.
    await other.execute(
      {
        type: 'WithdrawRequest',
        data: { requestId: (again.events[0].data as { requestId: string }).requestId },
      },
      { orderId, caller: buyer },
    );
    await service.execute({ type: 'DeliverOrder', data: { message: 'x' } }, { orderId, caller: seller });
    const types = (await store.readStream(streamNameOf(orderId))).map((e) => e.type);
    expect(types).toEqual([
      'OrderPlaced',
      'ResolutionRequestOpened',
      'ResolutionRequestWithdrawn',
      'ResolutionRequestOpened',
      'ResolutionRequestWithdrawn',
      'OrderDelivered',
    ]);
  });

  it('a cached order forgets its closed requests: the answers are those of the full history', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const opened = await service.execute(openCancellation(), { orderId, caller: buyer });
    const requestId = (opened.events[0].data as { requestId: string }).requestId;
    await service.execute({ type: 'WithdrawRequest', data: { requestId } }, { orderId, caller: buyer });
    const reads = jest.spyOn(store, 'readStream');
    const withdraw = { type: 'WithdrawRequest' as const, data: { requestId } };
    // Refusals decided on the forgetful cache (REQUEST_NOT_FOUND) are confirmed on the stream.
    await expect(service.execute(withdraw, { orderId, caller: buyer })).rejects.toMatchObject({
      code: 'REQUEST_NOT_OPEN',
    });
    await expect(service.execute(withdraw, { orderId, caller: seller })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(reads).toHaveBeenCalledTimes(2);
    // A sender's id is checked on the stream: the closed request's is refused, a new one opens.
    await expect(
      service.execute(openCancellation(requestId), { orderId, caller: buyer }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const own = await service.execute(openCancellation(), { orderId, caller: buyer });
    expect(reads).toHaveBeenCalledTimes(4);
    await service.execute(
      {
        type: 'WithdrawRequest',
        data: { requestId: (own.events[0].data as { requestId: string }).requestId },
      },
      { orderId, caller: buyer },
    );
    // Without one, the service mints it: no earlier request has it, the cached state decides.
    const minted = await service.execute(openCancellation(null), { orderId, caller: buyer });
    expect(reads).toHaveBeenCalledTimes(4);
    expect(minted.events[0].data).toMatchObject({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('retries on WrongExpectedRevision and gives the conflict up after the last attempt', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const conflicting: EventStore = Object.create(store);
    let appends = 0;
    conflicting.append = async (stream) => {
      appends++;
      throw new WrongExpectedRevisionError(stream, 0, 1);
    };
    const svc = new ImpatientOrderCommandService(conflicting, clock);
    const error = await svc.execute(openCancellation(), { orderId, caller: buyer }).catch((e: unknown) => e);
    // The edge answers it 409 CONCURRENCY_CONFLICT (problem.spec.ts).
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(appends).toBe(MAX_APPEND_ATTEMPTS);
  });

  it('succeeds when a conflict clears before the attempts run out', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const flaky: EventStore = Object.create(store);
    let failures = 2;
    flaky.append = async (stream, events, expected) => {
      if (failures-- > 0) throw new WrongExpectedRevisionError(stream, expected, 99);
      return store.append(stream, events, expected);
    };
    const out = await new ImpatientOrderCommandService(flaky, clock).execute(openCancellation(), {
      orderId,
      caller: buyer,
    });
    expect(out.revision).toBe(1);
  });

  it('domain errors pass through unchanged', async () => {
    const orderId = randomUUID();
    await service.execute(place(orderId), { orderId, caller: checkout });
    const e = await service
      .execute({ type: 'AcceptDelivery', data: {} }, { orderId, caller: buyer })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
  });

  it('derives stable v8 uuids from (user, key), keyed with the service secret', () => {
    const secret = Buffer.alloc(32, 1);
    const a = orderIdForIdempotencyKey(secret, 'u', 'k');
    expect(a).toBe(orderIdForIdempotencyKey(secret, 'u', 'k'));
    expect(a).not.toBe(orderIdForIdempotencyKey(secret, 'u2', 'k'));
    expect(a).not.toBe(orderIdForIdempotencyKey(Buffer.alloc(32, 2), 'u', 'k'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('KeyedMutex', () => {
  it('runs work for one key one at a time, in order, and frees the key afterwards', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string) =>
      mutex.run('k', async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setImmediate(r));
        log.push(`end ${name}`);
        return name;
      });
    const other = mutex.run('other', async () => log.push('other'));
    await expect(Promise.all([task('a'), task('b'), task('c'), other])).resolves.toEqual(['a', 'b', 'c', 1]);
    expect(log.filter((l) => l !== 'other')).toEqual([
      'start a',
      'end a',
      'start b',
      'end b',
      'start c',
      'end c',
    ]);
    expect(mutex.size).toBe(0);
  });

  it('a failing task does not block the next', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('k', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('k', async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
