// The live loop of one projection: batches from the shared live feed while it covers the runner, pages from the
// store when behind it; each batch committed with its checkpoint; idle until the feed wakes it. A batch failing
// outside any event (the store unavailable) is retried with backoff, forever: the loop never gives up.
import { Logger } from '@nestjs/common';
import { type EventStore, PermanentStoreError, type StoredEvent } from '../event-store/event-store.port';
import { AbortedError, sleep } from './dead-letters';
import {
  errorMessage,
  maxPosition,
  type ProjectionEngineOptions,
  type Slot,
  yieldToIo,
} from './engine-options';
import type { LiveFeed } from './live-feed';
import type { ProjectionRunner } from './projection-runner';

export interface LiveLoopHost {
  readonly events: EventStore;
  readonly options: ProjectionEngineOptions;
  readonly feed: LiveFeed | null;
  now(): Date;
  /** After a batch: trim the feed, settle waiters. */
  progressed(): void;
}

const logger = new Logger('ProjectionEngine');

export async function runLiveLoop(
  host: LiveLoopHost,
  slot: Slot,
  runner: ProjectionRunner,
  signal: AbortSignal,
): Promise<void> {
  const { options } = host;
  let backoff = options.retryBaseDelayMs;
  while (!signal.aborted) {
    try {
      const { batchSize, streamPrefix } = options;
      const feed = host.feed;
      let batch: StoredEvent[];
      let head: string | null = null;
      // `observed` >= checkpoint, with no event of the feed between them: the buffer serves from there.
      if (feed && feed.covers(runner.observed)) {
        slot.pagingSince = null;
        batch = feed.after(runner.observed, batchSize);
      } else {
        slot.pagingSince ??= performance.now();
        head = await host.events.headPosition();
        batch = await host.events.readAll({ after: runner.checkpoint, maxCount: batchSize, streamPrefix });
      }
      if (batch.length > 0) await runner.process(batch, signal);
      // A short page read after the head: every event up to that head has been seen, nothing is pending.
      if (head !== null && batch.length < batchSize) {
        runner.observed = maxPosition(runner.observed, head);
        slot.pagingSince = null;
      }
      backoff = options.retryBaseDelayMs;
      host.progressed();
      if (batch.length === 0) await idle(slot, options.idlePollMs, signal);
      else if (batch.length === batchSize) await yieldToIo();
    } catch (error) {
      if (signal.aborted || error instanceof AbortedError) break;
      const since = runner.failure?.since ?? host.now().toISOString();
      const attempts = (runner.failure?.attempts ?? 0) + 1;
      if (error instanceof PermanentStoreError) {
        // No retry can fix it (a checkpoint that is not a position of this store, access denied): stop, and
        // say so on /health until an operator fixes it and restarts.
        runner.failure = { message: `stopped: ${errorMessage(error)}`, since, attempts };
        logger.error(
          `${runner.checkpointKey}: stopped, the event store refused for good: ${errorMessage(error)}`,
        );
        break;
      }
      runner.failure = { message: errorMessage(error), since, attempts };
      if (attempts === 1 || attempts % 10 === 0) {
        logger.error(
          `${runner.checkpointKey}: batch failed (attempt ${attempts}), retrying: ${errorMessage(error)}`,
        );
      }
      await sleep(backoff, signal).catch(() => undefined);
      backoff = Math.min(backoff * 2, options.maxBackoffMs);
    }
  }
}

/** Until the feed wakes the slot, the idle poll elapses, or the loop stops. */
function idle(slot: Slot, idlePollMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      if (slot.wake === done) slot.wake = null;
      resolve();
    };
    const timer = setTimeout(done, idlePollMs);
    signal.addEventListener('abort', done, { once: true });
    slot.wake = done;
  });
}

/** Reads pages and processes them until `head` (not running: nobody else drives this runner here). */
export async function drain(
  events: EventStore,
  runner: ProjectionRunner,
  head: string,
  options: Pick<ProjectionEngineOptions, 'batchSize' | 'streamPrefix'>,
): Promise<void> {
  const { batchSize, streamPrefix } = options;
  for (;;) {
    const page = await events.readAll({ after: runner.checkpoint, maxCount: batchSize, streamPrefix });
    if (page.length > 0) await runner.process(page);
    if (page.length < batchSize) break;
  }
  runner.observed = maxPosition(runner.observed, head);
}
