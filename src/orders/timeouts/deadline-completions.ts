// The way back from the saga to the poller: the EventBus is fire-and-forget, so each attempt registers here
// under its attemptId and the command handler settles it. A message the saga dropped times out instead of
// hanging the poller (and POST /testing/clock) forever.
import { Injectable } from '@nestjs/common';
import type { TimeoutResult } from './timeout.messages';

interface Waiter {
  resolve(result: TimeoutResult): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class CompletionTimeoutError extends Error {
  constructor(attemptId: string, ms: number) {
    super(`timeout command ${attemptId} did not complete within ${ms} ms`);
    this.name = 'CompletionTimeoutError';
  }
}

@Injectable()
export class DeadlineCompletions {
  private readonly waiting = new Map<string, Waiter>();

  /** Registers an attempt before it is published; resolves with the command's result. */
  expect(attemptId: string, timeoutMs: number): Promise<TimeoutResult> {
    return new Promise<TimeoutResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(attemptId);
        reject(new CompletionTimeoutError(attemptId, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(attemptId, { resolve, reject, timer });
    });
  }

  succeed(attemptId: string, result: TimeoutResult): void {
    this.take(attemptId)?.resolve(result);
  }

  fail(attemptId: string, error: unknown): void {
    this.take(attemptId)?.reject(error);
  }

  get pending(): number {
    return this.waiting.size;
  }

  private take(attemptId: string): Waiter | undefined {
    const waiter = this.waiting.get(attemptId);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.waiting.delete(attemptId);
    return waiter;
  }
}
