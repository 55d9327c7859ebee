// What a read or subscription of EventStoreDB needs besides the store: which errors are permanent, and cancelling
// reads that are left early.
import { AccessDeniedError, InvalidArgumentError, UnsupportedError } from '@eventstore/db-client';
import type { ResolvedEvent, StreamingRead } from '@eventstore/db-client';
import { PermanentStoreError } from '../event-store.port';
import { firstLine } from '../../cluster/store-availability';

/** gRPC status codes no retry changes: INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE,
 * UNIMPLEMENTED, UNAUTHENTICATED. */
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 11, 12, 16]);

/**
 * Errors a retry cannot fix. Everything else (unavailable, deadline, not leader, a dropped connection, an
 * unknown server error) is retried with backoff.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentStoreError) return true;
  if (
    error instanceof AccessDeniedError ||
    error instanceof InvalidArgumentError ||
    error instanceof UnsupportedError ||
    error instanceof RangeError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && PERMANENT_GRPC_CODES.has(code);
}

/** A permanent error as PermanentStoreError (saying what was refused); any other error unchanged. */
export function asPermanent(error: unknown, what: string): unknown {
  if (error instanceof PermanentStoreError || !isPermanent(error)) return error;
  return new PermanentStoreError(
    `${what} was refused by EventStoreDB, retrying cannot help: ${firstLine(error)}`,
    {
      cause: error,
    },
  );
}

/**
 * Iterates a read of the client to its end. Leaving early (return, break, throw) cancels the gRPC call: the
 * client's reads have no deadline, and destroying the stream (what for-await does) leaves the call open, an
 * HTTP/2 stream held on the connection until the server finished sending, which a paused reader never lets
 * it do. About a hundred of them and the connection's appends time out and its reads hang.
 */
export async function* cancelIfAbandoned<E extends ResolvedEvent>(
  read: StreamingRead<E>,
): AsyncGenerator<E, void, undefined> {
  let ended = false;
  try {
    for await (const item of read as AsyncIterable<E>) yield item;
    ended = true;
  } finally {
    if (!ended) {
      await read.cancel().catch(() => undefined);
      read.destroy();
    }
  }
}
