// "Has the read side reached position P?": read-your-writes and the deadline poller wait on it. In the process
// running the projections the runners answer; elsewhere (API role) the checkpoints in the store do.
import { comparePositions, type EventStore } from '../event-store/event-store.port';
import type { ReadStore } from '../read-store/read-store.port';
import { maxPosition, type Slot } from './engine-options';

interface Waiter {
  position: string;
  slots: Slot[];
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout | null;
}

export class ReadPositions {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    private readonly streamPrefix: () => string | undefined,
    /** True when every slot given runs here (no need to read the store's checkpoints). */
    private readonly allLocal: (slots: Slot[]) => boolean,
  ) {}

  /** Resolves true once every slot has processed `position`, false after `timeoutMs`. */
  async wait(slots: Slot[], position: string, timeoutMs: number): Promise<boolean> {
    if (await this.reached(slots, position)) return true;
    if (timeoutMs <= 0 || this.disposed) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { position, slots, resolve, timer: null };
      if (Number.isFinite(timeoutMs)) waiter.timer = setTimeout(() => this.settle(waiter, false), timeoutMs);
      this.waiters.add(waiter);
      this.ensureTick();
    });
  }

  /** What the slot's active generation has processed, as known here. */
  localPosition(slot: Slot): string | null {
    if (slot.loop || !slot.stored) return slot.live?.observed ?? null;
    return maxPosition(slot.stored.position, slot.live?.observed ?? null);
  }

  /** Slots not running here: read their checkpoints from the store, at most every 20 ms. */
  async refreshStored(slots: Slot[]): Promise<void> {
    if (this.allLocal(slots)) return;
    const t = performance.now();
    for (const slot of slots) {
      if (slot.loop || !slot.live) continue;
      if (slot.stored && t - slot.stored.readAt < 20) continue;
      const runner = slot.live;
      const position = await this.store.getCheckpoint(runner.checkpointKey);
      // A swap meanwhile reset `stored` for the new generation: this is the old one's checkpoint.
      if (slot.live !== runner || slot.loop) continue;
      const moved = !slot.stored || slot.stored.position !== position;
      slot.stored = { position, readAt: t, movedAt: moved ? t : slot.stored!.movedAt };
    }
  }

  /** After any commit or swap: settle the waiters now satisfied. */
  check(): void {
    for (const waiter of this.waiters) {
      if (waiter.slots.every((s) => comparePositions(this.localPosition(s), waiter.position) >= 0)) {
        this.settle(waiter, true);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters) this.settle(w, false);
  }

  private async reached(slots: Slot[], position: string): Promise<boolean> {
    const lagging = slots.filter((s) => comparePositions(this.localPosition(s), position) < 0);
    if (lagging.length === 0) return true;
    await this.refreshStored(lagging);
    for (const slot of lagging) {
      if (comparePositions(this.localPosition(slot), position) >= 0) continue;
      if (!(await this.nothingBetween(slot, position))) return false;
    }
    return true;
  }

  /**
   * True when no event of the feed lies between what the slot processed and `position` (a position outside the
   * stream prefix, or the tail of a page): then the slot has in effect processed `position`.
   */
  private async nothingBetween(slot: Slot, position: string): Promise<boolean> {
    const from = this.localPosition(slot);
    const head = await this.events.headPosition();
    if (comparePositions(head, position) < 0) return false;
    const next = await this.events.readAll({ after: from, maxCount: 1, streamPrefix: this.streamPrefix() });
    if (next.length > 0 && comparePositions(next[0].position, position) <= 0) return false;
    if (slot.live && comparePositions(this.localPosition(slot), from) === 0) {
      slot.live.observed = maxPosition(slot.live.observed, position);
    }
    return true;
  }

  private settle(waiter: Waiter, ok: boolean): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve(ok);
  }

  /** While anyone waits: every 25 ms look at the store (API role) and for positions outside the feed. */
  private ensureTick(): void {
    if (this.timer) return;
    const tick = async (): Promise<void> => {
      this.timer = null;
      for (const waiter of [...this.waiters]) {
        try {
          if (await this.reached(waiter.slots, waiter.position)) this.settle(waiter, true);
        } catch {
          // the store is unavailable for a moment: try again at the next tick
        }
      }
      if (this.waiters.size > 0 && !this.disposed) this.timer = setTimeout(() => void tick(), 25);
    };
    this.timer = setTimeout(() => void tick(), 25);
  }
}
