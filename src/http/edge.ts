// The service's edge, in front of every route: security headers (helmet), CORS allow-list, correlation ids,
// rate limits per caller (or client address), and the server's timeouts and connection cap. Each one a
// maintained fastify plugin or a node http.Server setting; nothing here knows a route but the exempt ones.
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { authenticate } from '../auth/authenticate';
import type { TokenVerifier } from '../auth/jwt';
import type { AppConfig, ServerTimeouts } from '../platform/config/config';
import { ProblemException } from './problem';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Never rate limited: liveness for the orchestrator, and the CLOCK=manual test routes. */
const EXEMPT_PATH = /^\/(?:health|testing)(?:[/?#]|$)/;

export interface RequestWithCorrelation {
  correlationId?: string;
}

/** The request's correlation id (set on every request by the edge). */
export function correlationIdOf(request: FastifyRequest): string {
  const req = request as FastifyRequest & RequestWithCorrelation;
  req.correlationId ??= newCorrelationId(request);
  return req.correlationId;
}

function newCorrelationId(request: FastifyRequest): string {
  const given = request.headers[CORRELATION_HEADER];
  return typeof given === 'string' && CORRELATION_RE.test(given) ? given : randomUUID();
}

/** Registers the edge plugins and hooks; before app.init(), so that they wrap every route. */
export async function registerEdge(
  app: NestFastifyApplication,
  config: AppConfig,
  verifier: TokenVerifier,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, correlationIdOf(request));
    // Responses to authenticated requests (a token was sent) are never cached by browsers or proxies.
    if (request.headers.authorization !== undefined) reply.header('cache-control', 'no-store');
    done();
  });
  // A JSON API: nosniff, no framing, no referrer; no CSP (the API returns no HTML but the /docs UI, whose inline
  // scripts a default CSP would break).
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
      // Per caller with a valid token, else per client address (X-Forwarded-For only with TRUST_PROXY): a
      // forged or expired token counts against its sender's address, not against the sub it names.
      keyGenerator: async (request: FastifyRequest) => {
        const outcome = await authenticate(request, verifier);
        return 'caller' in outcome ? `sub:${outcome.caller.userId}` : `ip:${request.ip}`;
      },
      allowList: (request: FastifyRequest) => EXEMPT_PATH.test(request.url),
      addHeadersOnExceeding: {
        'x-ratelimit-limit': false,
        'x-ratelimit-remaining': false,
        'x-ratelimit-reset': false,
      },
      addHeaders: {
        'x-ratelimit-limit': false,
        'x-ratelimit-remaining': false,
        'x-ratelimit-reset': false,
        'retry-after': true,
      },
      errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) =>
        new ProblemException(429, 'RATE_LIMITED', `Too many requests: retry after ${context.after}.`),
    });
  }
}

/**
 * fastify's server options for the limits of api.md: headers within 10 s, the whole request within 30 s (checked
 * every second), idle keep-alive connections closed after 5 s.
 */
export function serverOptions(timeouts: ServerTimeouts) {
  return {
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
  };
}

/** The connection cap: connections over it are closed as they are accepted (api.md "Limits"). */
export function capConnections(server: Server, config: AppConfig): void {
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
}
