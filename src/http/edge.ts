// The service's edge, in front of every route: security headers (helmet), CORS allow-list, correlation ids,
// rate limits per caller (or client address), and the server's timeouts and connection cap.
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { authenticate } from '../auth/auth.guard';
import type { TokenVerifier } from '../auth/jwt';
import type { AppConfig, ServerTimeouts } from '../platform/config/config';
import { ProblemException } from './problem';

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Never rate limited: liveness for the orchestrator, and the CLOCK=manual test routes. */
export const RATE_LIMIT_EXEMPT = /^\/(?:health|testing)(?:[/?#]|$)/;

/** The request's correlation id: the client's when well-formed, else a new one (set on every request by the edge). */
export function correlationIdOf(request: FastifyRequest): string {
  const req = request as FastifyRequest & { correlationId?: string };
  const given = request.headers[CORRELATION_HEADER];
  req.correlationId ??= typeof given === 'string' && CORRELATION_RE.test(given) ? given : randomUUID();
  return req.correlationId;
}

const NO_RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit': false,
  'x-ratelimit-remaining': false,
  'x-ratelimit-reset': false,
};

/** Registers the edge plugins and hooks and caps connections; before app.init(), so that they wrap every route. */
export async function registerEdge(
  app: NestFastifyApplication,
  config: AppConfig,
  verifier: TokenVerifier,
): Promise<void> {
  // Connections over the cap are closed as they are accepted (api.md "Limits").
  if (config.maxConnections > 0) app.getHttpServer().maxConnections = config.maxConnections;
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, correlationIdOf(request));
    // Responses to authenticated requests (a token was sent) are never cached by browsers or proxies.
    if (request.headers.authorization !== undefined) reply.header('cache-control', 'no-store');
    done();
  });
  // A JSON API: nosniff, no framing, no referrer; no CSP, which would break the /docs UI's inline scripts.
  await app.register(fastifyHelmet as never, { global: true, contentSecurityPolicy: false });
  await app.register(fastifyCors as never, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'],
    exposedHeaders: ['x-correlation-id', 'x-read-model-position', 'retry-after', 'idempotent-replayed'],
    maxAge: 600,
  });
  if (config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit as never, {
      global: true,
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      cache: 10_000,
      // Per caller with a valid token, else per client address: a forged token counts against its sender.
      keyGenerator: async (request: FastifyRequest) => {
        const outcome = await authenticate(request, verifier);
        return 'caller' in outcome ? `sub:${outcome.caller.userId}` : `ip:${request.ip}`;
      },
      allowList: (request: FastifyRequest) => RATE_LIMIT_EXEMPT.test(request.url),
      addHeadersOnExceeding: NO_RATE_LIMIT_HEADERS,
      addHeaders: { ...NO_RATE_LIMIT_HEADERS, 'retry-after': true },
      errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) =>
        new ProblemException(429, 'RATE_LIMITED', `Too many requests: retry after ${context.after}.`),
    });
  }
}

/** fastify's server options for the timeouts of api.md ("Limits"). */
export const serverOptions = (timeouts: ServerTimeouts) => ({
  http: {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  },
  requestTimeout: timeouts.requestTimeoutMs,
  keepAliveTimeout: timeouts.keepAliveTimeoutMs,
});
