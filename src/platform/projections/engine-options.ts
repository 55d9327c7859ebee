// The engine's tuning, its status figures, and the per-projection state its parts share.
import { comparePositions } from '../event-store/event-store.port';
import type { Projection } from '../read-store/read-store.port';
import type { RegistryDoc } from './generations';
import type { ProjectionRunner } from './projection-runner';

export interface ProjectionEngineOptions {
  /** Only streams with this prefix feed the projections (the product passes its own; unset: every stream). */
  streamPrefix?: string;
  /** Most events per live batch. */
  batchSize: number;
  /** Events per page and per transaction while rebuilding (a document many events change is written once per batch). */
  rebuildBatchSize: number;
  /** Attempts per failing event before it is parked (the first included). */
  maxAttempts: number;
  /** First retry delay; ×4 per further retry. */
  retryBaseDelayMs: number;
  /** Cap of the backoff when a batch fails outside any event (store unavailable). */
  maxBackoffMs: number;
  /** Safety net: a caught-up runner looks for new events this often even without a wake-up. */
  idlePollMs: number;
  /** How often the registry is read to notice a swap made elsewhere (a rebuild CLI, another worker). */
  registryPollMs: number;
  /** Pending work older than this makes /health say degraded. */
  degradedAfterMs: number;
  /** A replaced generation is dropped this long after the swap (readers elsewhere notice it meanwhile). */
  dropGraceMs: number;
  /** Parsed documents each runner keeps from its recent batches (0: none). */
  documentCacheSize: number;
}

export const DEFAULT_ENGINE_OPTIONS: ProjectionEngineOptions = {
  batchSize: 500,
  rebuildBatchSize: 20_000,
  maxAttempts: 4,
  retryBaseDelayMs: 100,
  maxBackoffMs: 5000,
  idlePollMs: 1000,
  registryPollMs: 1000,
  degradedAfterMs: 10_000,
  dropGraceMs: 5000,
  documentCacheSize: 10_000,
};

export interface LagFigures {
  p50: number | null;
  p99: number | null;
  samples: number;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  /** The generation readers use. */
  generation: number;
  /** The active generation was built by an older version and waits for its replacement. */
  stale: boolean;
  running: boolean;
  position: string | null;
  headPosition: string | null;
  /** head - position, in position units (events, on the embedded store). */
  positionsBehind: string | null;
  /** How long the oldest event not yet applied has been waiting (0 when caught up). */
  lagMs: number;
  /** ms between now and the recordedAt of the last applied event. */
  sinceLastAppliedMs: number | null;
  lastAppliedRecordedAt: string | null;
  /** append -> committed, recent events. */
  appendToVisibleMs: LagFigures;
  eventsApplied: number;
  deadLetters: number;
  failure: { message: string; since: string } | null;
  building: RegistryDoc['building'];
  /** Why this projection makes /health degraded (empty: healthy). */
  problems: string[];
}

/** One registered projection and what this process does with it. */
export interface Slot {
  projection: Projection;
  registry: RegistryDoc | null;
  /** The active generation's runner. */
  live: ProjectionRunner | null;
  loop: { abort: AbortController; done: Promise<void> } | null;
  wake: (() => void) | null;
  /** performance-clock ms when the runner first fell behind the feed buffer (read pages); null when covered. */
  pagingSince: number | null;
  /** A version-change build in this process. */
  build: { abort: AbortController; done: Promise<void> } | null;
  /** Not running here: the checkpoint as last read from the store, and when it last moved. */
  stored: { position: string | null; readAt: number; movedAt: number } | null;
}

export const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
export const maxPosition = (a: string | null, b: string | null): string | null =>
  comparePositions(a, b) >= 0 ? a : b;
export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
