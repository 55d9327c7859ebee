// JSON lines on stdout with pino: Nest's own messages through PinoNestLogger, and one access line per request at
// info. Never a token or a body.
import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import pino, { type Level, type LevelWithSilent, type Logger } from 'pino';
import type { RequestWithCaller } from '../auth/current-caller.decorator';

/** Asynchronous stdout: a log line never blocks a request; call `flush` at shutdown (a signal skips 'exit'). */
export function createLogger(level: LevelWithSilent): { logger: Logger; flush: () => void } {
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

/** Nest's LoggerService on pino: `context` (Nest's last argument) becomes a field, errors keep their stack. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log = (message: unknown, ...rest: unknown[]) => this.write('info', message, rest);
  warn = (message: unknown, ...rest: unknown[]) => this.write('warn', message, rest);
  debug = (message: unknown, ...rest: unknown[]) => this.write('debug', message, rest);
  verbose = (message: unknown, ...rest: unknown[]) => this.write('trace', message, rest);
  fatal = (message: unknown, ...rest: unknown[]) => this.write('fatal', message, rest);
  /** Nest calls error(message, stack?, context?). */
  error = (message: unknown, ...rest: unknown[]) =>
    this.write('error', message, rest, rest.length > 1 ? rest[0] : undefined);

  private write(level: Level, message: unknown, rest: unknown[], stack?: unknown): void {
    const fields = { context: rest.at(-1), ...(typeof stack === 'string' ? { stack } : {}) };
    if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...message });
    else this.pino[level](fields, String(message));
  }
}

/** One access line per request at info: method, route, status, duration, caller and correlation id. */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  const log = logger.child({ context: 'access' });
  if (!log.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    log.info({
      requestId: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? null,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      caller: (request as RequestWithCaller).caller?.userId ?? null,
      correlationId: reply.getHeader('x-correlation-id') ?? request.headers['x-correlation-id'] ?? null,
    });
    done();
  });
}
