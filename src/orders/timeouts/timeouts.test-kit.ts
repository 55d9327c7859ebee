// Shared by the timeouts unit specs: a Nest testing module with the real CQRS buses, saga and handler, and a
// scriptable executor in place of the command path.
import { CqrsModule, EventBus } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { ManualClock } from '../../platform/clock/clock.port';
import { InMemoryReadStore } from '../../platform/read-store/in-memory/in-memory-read-store';
import { deadlineId, type Deadline, type DeadlineKind } from './deadline.types';
import { DeadlineCompletions } from './deadline-completions';
import { DeadlinePoller, type DeadlinePollerOptions } from './deadline-poller';
import { RunTimeoutHandler } from './run-timeout.handler';
import { TIMEOUT_EXECUTOR, type TimeoutContext, type TimeoutExecutor } from './timeout-executor';
import type { TimeoutCommand, TimeoutResult } from './timeout.messages';
import { TimeoutSaga } from './timeout.saga';

export type Behaviour = (command: TimeoutCommand, context: TimeoutContext) => Promise<TimeoutResult>;

export class ScriptedExecutor implements TimeoutExecutor {
  readonly calls: { command: TimeoutCommand; context: TimeoutContext }[] = [];
  /** Per orderId; default: one event recorded. */
  readonly behaviours = new Map<string, Behaviour>();
  private position = 0;

  async run(command: TimeoutCommand, context: TimeoutContext): Promise<TimeoutResult> {
    this.calls.push({ command, context });
    const behaviour = this.behaviours.get(context.orderId);
    if (behaviour) return behaviour(command, context);
    return { events: 1, position: String(++this.position) };
  }

  callsFor(orderId: string): number {
    return this.calls.filter((c) => c.context.orderId === orderId).length;
  }
}

export const T0 = new Date('2030-01-01T00:00:00.000Z');

export function deadline(
  orderId: string,
  kind: DeadlineKind,
  dueInMs: number,
  ref: string | null = null,
): Deadline {
  const dueAt = new Date(T0.getTime() + dueInMs).toISOString();
  return {
    id: deadlineId(kind, orderId, ref, dueAt),
    orderId,
    kind,
    dueAt,
    ref,
    sourcePosition: '1',
    sourceEventId: `ev-${orderId}`,
  };
}

export interface Kit {
  module: TestingModule;
  store: InMemoryReadStore;
  clock: ManualClock;
  executor: ScriptedExecutor;
  poller: DeadlinePoller;
  eventBus: EventBus;
  completions: DeadlineCompletions;
  put(...deadlines: Deadline[]): Promise<void>;
  close(): Promise<void>;
}

export async function createKit(options: Partial<DeadlinePollerOptions> = {}): Promise<Kit> {
  const executor = new ScriptedExecutor();
  const module = await Test.createTestingModule({
    imports: [CqrsModule.forRoot()],
    providers: [
      TimeoutSaga,
      DeadlineCompletions,
      RunTimeoutHandler,
      { provide: TIMEOUT_EXECUTOR, useValue: executor },
    ],
  }).compile();
  module.useLogger(false);
  await module.init();
  const store = new InMemoryReadStore();
  const clock = new ManualClock(T0);
  const eventBus = module.get(EventBus);
  const completions = module.get(DeadlineCompletions);
  const poller = new DeadlinePoller({
    store,
    eventBus,
    completions,
    clock,
    sagaReady: module.get(TimeoutSaga).ready,
    options: { completionTimeoutMs: 2000, ...options },
  });
  await poller.init();
  return {
    module,
    store,
    clock,
    executor,
    poller,
    eventBus,
    completions,
    async put(...deadlines) {
      await store.write(async (w) => {
        for (const d of deadlines) await w.put('deadlines', d.id, d);
      });
    },
    async close() {
      await poller.stop();
      await module.close();
      await store.close();
    },
  };
}
