// JSON lines on stdout with pino: Nest's own messages through PinoNestLogger, and one access line per request
// (AccessLog) at info. Never a token or a body.
import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

export type LogLevel = 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The process's logger. stdout is written asynchronously in chunks, so a log line never blocks a request;
 * `flush` writes what is buffered (at shutdown: a signal ends the process without an 'exit' event).
 */
export function createLogger(level: LogLevel): { logger: Logger; flush: () => void } {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const flush = () => {
    try {
      destination.flushSync();
    } catch {
      // Not ready or closed: nothing more can be done for a log line now.
    }
  };
  process.once('exit', flush);
  const logger = pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  return { logger, flush };
}

/** Nest's LoggerService on pino: `context` becomes a field, errors keep their stack. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const stack = rest.length > 1 ? rest[0] : undefined;
    this.pino.error({ context, ...(typeof stack === 'string' ? { stack } : {}) }, String(message));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message });
    else this.pino[level]({ context }, String(message));
  }
}

/** What the access line says of the caller: the guard leaves it on the request. */
interface AccessRequest extends FastifyRequest {
  caller?: { userId: string };
}

/** One access line per request at info: method, route, status, duration, caller and correlation id. */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  const log = logger.child({ context: 'access' });
  if (!log.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request: AccessRequest, reply: FastifyReply, done: () => void) => {
    log.info({
      requestId: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? null,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      caller: request.caller?.userId ?? null,
      correlationId: reply.getHeader('x-correlation-id') ?? request.headers['x-correlation-id'] ?? null,
    });
    done();
  });
}
