// Shared by the timeouts specs: the real CQRS buses and saga, the real command path over an in-memory event store
// (behind a handler that can fail on purpose and be waited for), and the deadlines projection applied on demand,
// so a test decides when "the projection sees the event".
import { CommandHandler, CqrsModule, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../platform/clock/clock.port';
import { InMemoryEventStore } from '../../platform/event-store/in-memory/in-memory-event-store';
import { InMemoryReadStore } from '../../platform/read-store/in-memory/in-memory-read-store';
import { ExecuteOrderCommand } from '../write/execute-order.command';
import { type CommandOutcome, OrderCommandService } from '../write/order-command.service';
import { ORDER_EVENT_SCHEMA_VERSION } from '../domain/order.events';
import { DAY_MS, streamNameOf, SYSTEM_ACTOR } from '../domain/order.types';
import { DeadlinePoller, type DeadlinePollerOptions } from './deadline-poller';
import { DEADLINES_COLLECTION, type Deadline } from './deadline.types';
import { DeadlinesProjection } from './deadlines.projection';
import { TimeoutSaga } from './timeout.saga';

export const T0 = new Date('2030-01-01T00:00:00.000Z');
/** Orders placed by `place` are due a week after T0: `late` falls due 1 ms later. */
export const DUE = new Date(T0.getTime() + 7 * DAY_MS);

@CommandHandler(ExecuteOrderCommand)
export class TestCommandHandler implements ICommandHandler<ExecuteOrderCommand, CommandOutcome> {
  readonly calls: ExecuteOrderCommand[] = [];
  /** orderId -> how many more commands on it throw (Infinity: all). */
  readonly failures = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly service: OrderCommandService) {}

  execute(command: ExecuteOrderCommand): Promise<CommandOutcome> {
    this.calls.push(command);
    const left = this.failures.get(command.options.orderId) ?? 0;
    const run =
      left > 0
        ? (this.failures.set(command.options.orderId, left - 1),
          Promise.reject(new Error('store unavailable')))
        : this.service.execute(command.input, command.options);
    this.running.add(run);
    void run.catch(() => undefined).finally(() => this.running.delete(run));
    return run;
  }

  callsFor(orderId: string): number {
    return this.calls.filter((c) => c.options.orderId === orderId).length;
  }

  /** Resolves once every command sent so far has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

export interface Kit {
  module: TestingModule;
  events: InMemoryEventStore;
  store: InMemoryReadStore;
  clock: ManualClock;
  handler: TestCommandHandler;
  poller: DeadlinePoller;
  /** Appends an order in progress due at DUE (deadlines: late at DUE + 1 ms, very_late at DUE + 24 h). */
  place(orderId: string): Promise<void>;
  /** Applies the events appended since the last call to the deadlines projection. */
  project(): Promise<void>;
  /** Puts deadline documents as the projection would (e.g. one no mapping knows). */
  put(...deadlines: Deadline[]): Promise<void>;
  deadlines(): Promise<Deadline[]>;
  count(orderId: string, type: string): Promise<number>;
  close(): Promise<void>;
}

export async function createKit(options: Partial<DeadlinePollerOptions> = {}): Promise<Kit> {
  const clock = new ManualClock(T0);
  const events = new InMemoryEventStore({ now: () => clock.now() });
  const handler = new TestCommandHandler(new OrderCommandService(events, clock));
  const module = await Test.createTestingModule({
    imports: [CqrsModule.forRoot()],
    // A factory: the CQRS explorer reads a factory-made handler's class from the instance.
    providers: [TimeoutSaga, { provide: TestCommandHandler, useFactory: () => handler, inject: [] }],
  }).compile();
  module.useLogger(false);
  await module.init();
  const store = new InMemoryReadStore();
  const saga = module.get(TimeoutSaga);
  const poller = new DeadlinePoller({
    store,
    eventBus: module.get(EventBus),
    clock,
    ready: () => saga.ready,
    options,
  });
  await poller.init();
  const projection = new DeadlinesProjection();
  let position: string | null = null;
  return {
    module,
    events,
    store,
    clock,
    handler,
    poller,
    async place(orderId) {
      await events.append(
        streamNameOf(orderId),
        [
          {
            id: randomUUID(),
            type: 'OrderPlaced',
            data: {
              orderId,
              buyerId: 'buyer',
              sellerId: 'seller',
              title: 'Logo',
              price: { amount: 5000, currency: 'USD' },
              deliveryDays: 7,
              requirementsNeeded: false,
              placedAt: T0.toISOString(),
              dueAt: DUE.toISOString(),
            },
            metadata: {
              actor: SYSTEM_ACTOR,
              correlationId: randomUUID(),
              causationId: null,
              schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
            },
          },
        ],
        'no_stream',
      );
    },
    async project() {
      const page = await events.readAll({ after: position, maxCount: 10_000 });
      await store.write(async (w) => {
        for (const e of page) await projection.apply(e, w);
      });
      position = page.at(-1)?.position ?? position;
    },
    async put(...deadlines) {
      await store.write(async (w) => {
        for (const d of deadlines) await w.put(DEADLINES_COLLECTION, d.id, d);
      });
    },
    deadlines: () => store.find<Deadline>(DEADLINES_COLLECTION, {}, { sort: { dueAt: 1 } }),
    async count(orderId, type) {
      return (await events.readStream(streamNameOf(orderId))).filter((e) => e.type === type).length;
    },
    async close() {
      await poller.stop();
      await handler.settled();
      await module.close();
      await store.close();
      await events.close();
    },
  };
}

/** A deadline of a kind no mapping knows: it can never be handled. */
export function unknownDeadline(orderId: string, dueAt: Date = DUE): Deadline {
  const at = dueAt.toISOString();
  return {
    id: `nonsense:${orderId}::${at}`,
    orderId,
    kind: 'nonsense' as Deadline['kind'],
    dueAt: at,
    ref: null,
    sourcePosition: '1',
    sourceEventId: `ev-${orderId}`,
  };
}
