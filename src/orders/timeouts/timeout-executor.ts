// The port through which a timeout command reaches the order's stream. The real one runs the command path's
// OrderCommandService (load, decide, append with retries); tests substitute their own.
import type { TimeoutCommand, TimeoutResult } from './timeout.messages';

export const TIMEOUT_EXECUTOR = Symbol('TIMEOUT_EXECUTOR');

export interface TimeoutContext {
  orderId: string;
  /** The deadline's id: one business flow per deadline. */
  correlationId: string;
  /** The event that scheduled the deadline. */
  causationId: string | null;
}

export interface TimeoutExecutor {
  run(command: TimeoutCommand, context: TimeoutContext): Promise<TimeoutResult>;
}
