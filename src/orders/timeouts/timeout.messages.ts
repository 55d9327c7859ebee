// The messages of the timeout flow. Classes, not plain objects: @nestjs/cqrs routes events by `instanceof`
// (ofType) and commands by their constructor's metadata.
import { Command, type IEvent } from '@nestjs/cqrs';
import type { Deadline } from './deadline.types';
import type {
  CompleteAutomatically,
  ExpireRequest,
  LapseExtrasOffer,
  RecordLateness,
} from '../domain/order.commands';

export type TimeoutCommand = ExpireRequest | LapseExtrasOffer | RecordLateness | CompleteAutomatically;

/** What one timeout command did: events recorded (or none: nothing was left to do). */
export interface TimeoutResult {
  /** Number of events the command recorded; 0 when it decided nothing. */
  events: number;
  /** Global position of the last event written, when there was one. */
  position: string | null;
}

/** A deadline fell due; published by the DeadlinePoller on the EventBus. */
export class DeadlineReached implements IEvent {
  constructor(
    readonly deadline: Deadline,
    /** The time the poller ran for: the command's `now`. */
    readonly now: Date,
    /** Correlates the command's completion back to the waiting poller (one per attempt). */
    readonly attemptId: string,
  ) {}
}

/** The saga's answer to DeadlineReached: run this domain command on the deadline's order. */
export class RunTimeoutCommand extends Command<TimeoutResult | null> {
  constructor(
    readonly deadline: Deadline,
    readonly command: TimeoutCommand,
    readonly attemptId: string,
  ) {
    super();
  }
}
