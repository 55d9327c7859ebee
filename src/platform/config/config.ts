// Typed configuration from the environment (api.md "Configuration"). Everything is validated once at start-up:
// a bad value stops the service with a message naming the variable, instead of failing on the first request.
import { resolve } from 'node:path';

export const APP_CONFIG = Symbol('APP_CONFIG');

export const EVENT_STORE_KINDS = ['sqlite', 'esdb', 'memory'] as const;
export const READ_STORE_KINDS = ['sqlite', 'mongo', 'memory'] as const;
export const CLOCK_KINDS = ['system', 'manual'] as const;
export const APP_ROLES = ['api', 'worker', 'all'] as const;
/** Where an APP_ROLE=all process runs its projections and poller: a child process (default) or its own loop. */
export const WORKER_MODES = ['process', 'inline'] as const;
export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export type EventStoreKind = (typeof EVENT_STORE_KINDS)[number];
export type ReadStoreKind = (typeof READ_STORE_KINDS)[number];
export type ClockKind = (typeof CLOCK_KINDS)[number];
/** api: HTTP only; worker: projections and deadlines only; all: both in one process. */
export type AppRole = (typeof APP_ROLES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type WorkerMode = (typeof WORKER_MODES)[number];

export interface AppConfig {
  port: number;
  /** When set, /metrics and the detailed health report are served on this port only (the admin network). */
  adminPort?: number;
  /** Absolute path of the embedded stores' directory (SQLite files, generated JWT secret). */
  dataDir: string;
  /** `memory` is for tests only. */
  eventStore: EventStoreKind;
  esdbConnectionString?: string;
  /** `memory` is for tests only. */
  readStore: ReadStoreKind;
  mongodbUri?: string;
  /** HS256 secret; when unset (outside production) one is generated into `<dataDir>/jwt-secret`. */
  authJwtSecret?: string;
  /** The identity provider's JWKS (RS256/ES256); when set, HS256 is refused. https in production. */
  authJwksUrl?: string;
  authIssuer?: string;
  authAudience?: string;
  /** Longest lifetime (exp − iat) a token may claim, in seconds (AUTH_MAX_TOKEN_TTL, default 24 h). */
  authMaxTokenTtlSeconds: number;
  /** Requests a minute per caller (or client address without a valid token); 0 = no limit. */
  rateLimitPerMinute: number;
  /** Take the client address from X-Forwarded-For (behind a reverse proxy). */
  trustProxy: boolean;
  /** Browser origins allowed by CORS; none by default. */
  corsOrigins: string[];
  /** Open connections at most (MAX_CONNECTIONS, default 10,000; 0 = no cap); more are closed at accept. */
  maxConnections: number;
  /** Not read from the environment: the HTTP server's timeouts (DEFAULT_SERVER_TIMEOUTS unless a test shortens them). */
  serverTimeouts?: ServerTimeouts;
  clock: ClockKind;
  logLevel: LogLevel;
  nodeEnv: string;
  role: AppRole;
  /**
   * APP_WORKERS, for APP_ROLE=all on stores kept outside the process: `process` (default) runs the projections and
   * the poller in a supervised child process (a second core), `inline` on the HTTP process's own event loop.
   * The in-memory stores (tests) are always inline.
   */
  workers: WorkerMode;
  /** Not read from the environment: the rebuild CLI reads the SQLite files through memory maps this large. */
  sqliteMmapBytes?: number;
  /** Not read from the environment: SQLite page cache per connection, MB (default: events 32, read models 64). */
  sqliteCacheMb?: { events?: number; read?: number };
}

/** Production is any NODE_ENV other than development or test (compared case-insensitively). */
export function isProduction(nodeEnv: string): boolean {
  const env = nodeEnv.trim().toLowerCase();
  return env !== 'development' && env !== 'test';
}

/** Shortest AUTH_JWT_SECRET accepted in production (HS256 wants at least 256 bits). */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/** "24h", "30m", "7d", "90s" or plain seconds -> seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 90s, 30m, 24h, 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds <= 0) throw new Error('a duration must be positive');
  return seconds;
}

/** Timeouts of the HTTP server (api.md "Limits"). Not read from the environment: tests shorten them. */
export interface ServerTimeouts {
  /** The request's headers must arrive within this (slow-header clients are cut with 408). */
  headersTimeoutMs: number;
  /** The whole request (headers and body) within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often node checks the two timeouts above (its default, 30 s, would let a slow request live 40 s). */
  checkIntervalMs: number;
}

export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(`Invalid configuration: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected a whole number`);
  return Number(raw);
}

function bool(env: Env, name: string): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected true or false`);
}

function duration(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  try {
    return parseDuration(raw);
  } catch (e) {
    throw new ConfigError(`${name}: ${(e as Error).message}`);
  }
}

/** Reads the environment, applies overrides (tests, the bench) and validates the result. */
export function loadConfig(env: Env = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const rawPort = optional(env, 'PORT');
  const rawAdminPort = optional(env, 'ADMIN_PORT');
  const config: AppConfig = {
    port: rawPort === undefined ? 3000 : Number(rawPort),
    adminPort: rawAdminPort === undefined ? undefined : Number(rawAdminPort),
    dataDir: optional(env, 'DATA_DIR') ?? './data',
    eventStore: oneOf(env, 'EVENT_STORE', EVENT_STORE_KINDS, 'sqlite'),
    esdbConnectionString: optional(env, 'ESDB_CONNECTION_STRING'),
    readStore: oneOf(env, 'READ_STORE', READ_STORE_KINDS, 'sqlite'),
    mongodbUri: optional(env, 'MONGODB_URI'),
    authJwtSecret: optional(env, 'AUTH_JWT_SECRET'),
    authJwksUrl: optional(env, 'AUTH_JWKS_URL'),
    authIssuer: optional(env, 'AUTH_ISSUER'),
    authAudience: optional(env, 'AUTH_AUDIENCE'),
    authMaxTokenTtlSeconds: duration(env, 'AUTH_MAX_TOKEN_TTL', 86_400),
    rateLimitPerMinute: nonNegativeInt(env, 'RATE_LIMIT_PER_MINUTE', 600),
    trustProxy: bool(env, 'TRUST_PROXY'),
    corsOrigins: (optional(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    maxConnections: nonNegativeInt(env, 'MAX_CONNECTIONS', 10_000),
    clock: oneOf(env, 'CLOCK', CLOCK_KINDS, 'system'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    nodeEnv: optional(env, 'NODE_ENV') ?? 'development',
    role: oneOf(env, 'APP_ROLE', APP_ROLES, 'all'),
    workers: oneOf(env, 'APP_WORKERS', WORKER_MODES, 'process'),
    ...stripUndefined(overrides),
  };
  return validateConfig(config);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function validateConfig(config: AppConfig): AppConfig {
  const c = { ...config };
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) {
    throw new ConfigError(`PORT=${String(c.port)}: expected an integer in 0..65535`);
  }
  if (
    c.adminPort !== undefined &&
    (!Number.isInteger(c.adminPort) || c.adminPort < 0 || c.adminPort > 65535)
  ) {
    throw new ConfigError(`ADMIN_PORT=${String(c.adminPort)}: expected an integer in 0..65535`);
  }
  if (!c.dataDir) throw new ConfigError('DATA_DIR must not be empty');
  c.dataDir = resolve(c.dataDir);
  const production = isProduction(c.nodeEnv);
  const env = `NODE_ENV=${c.nodeEnv}`;
  if (c.eventStore === 'esdb' && !c.esdbConnectionString) {
    throw new ConfigError(
      'EVENT_STORE=esdb needs ESDB_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false)',
    );
  }
  if (c.readStore === 'mongo' && !c.mongodbUri) {
    throw new ConfigError(
      'READ_STORE=mongo needs MONGODB_URI (e.g. mongodb://localhost:27017/resolution-center)',
    );
  }
  if (production && (c.eventStore === 'memory' || c.readStore === 'memory')) {
    throw new ConfigError(`the in-memory stores are for tests and are refused in production (${env})`);
  }
  if (production && c.clock === 'manual') {
    throw new ConfigError(`CLOCK=manual is refused in production (${env})`);
  }
  if (c.authJwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(c.authJwksUrl);
    } catch {
      throw new ConfigError(`AUTH_JWKS_URL=${JSON.stringify(c.authJwksUrl)}: not a URL`);
    }
    if (url.protocol !== 'https:' && (production || url.protocol !== 'http:')) {
      throw new ConfigError(`AUTH_JWKS_URL must be an https URL in production (${env})`);
    }
  } else {
    if (production && !c.authJwtSecret) {
      throw new ConfigError(`AUTH_JWT_SECRET is required in production unless AUTH_JWKS_URL is set (${env})`);
    }
    const min = production ? MIN_PRODUCTION_SECRET_LENGTH : 16;
    if (c.authJwtSecret !== undefined && c.authJwtSecret.length < min) {
      throw new ConfigError(
        `AUTH_JWT_SECRET must be at least ${min} characters long${production ? ` in production (${env})` : ''}`,
      );
    }
  }
  if (!Number.isInteger(c.authMaxTokenTtlSeconds) || c.authMaxTokenTtlSeconds <= 0) {
    throw new ConfigError('AUTH_MAX_TOKEN_TTL must be a positive duration');
  }
  for (const origin of c.corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        `CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
      );
    }
  }
  return c;
}
