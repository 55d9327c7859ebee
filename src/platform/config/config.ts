// Typed configuration from the environment (api.md "Configuration"), validated once at start-up: a bad value
// stops the service with a message naming the variable, instead of failing on the first request.
import { resolve } from 'node:path';

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(message: string) {
    super(`Invalid configuration: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** A variable read by `parse` (trimmed; unset or blank: `fallback`); a parse error is reported naming it. */
function setting<T>(name: string, parse: (raw: string) => T): (env: Env) => T | undefined;
function setting<T>(name: string, parse: (raw: string) => T, fallback: T): (env: Env) => T;
function setting<T>(name: string, parse: (raw: string) => T, fallback?: T) {
  return (env: Env): T | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    try {
      return parse(raw);
    } catch (e) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)}: ${(e as Error).message}`);
    }
  };
}

const text = (raw: string): string => raw;
const oneOf =
  <T extends string>(...allowed: T[]) =>
  (raw: string): T => {
    const value = raw.toLowerCase() as T;
    if (!allowed.includes(value)) throw new Error(`expected one of ${allowed.join(', ')}`);
    return value;
  };
const wholeNumber =
  (min = 0, max = Infinity) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      throw new Error(`expected a whole number${max < Infinity ? ` in ${min}..${max}` : ''}`);
    }
    return n;
  };
const bool = (raw: string): boolean => {
  const value = ['false', '0', 'true', '1'].indexOf(raw.toLowerCase());
  if (value < 0) throw new Error('expected true or false');
  return value >= 2;
};
const url = (raw: string): string => {
  if (!URL.canParse(raw)) throw new Error('not a URL');
  return raw;
};
const origins = (raw: string): string[] => {
  const list = raw.split(/\s*,\s*/).filter(Boolean);
  const bad = list.find((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  if (bad !== undefined) throw new Error(`${bad} is not an origin (scheme://host[:port])`);
  return list;
};

/** "24h", "30m", "7d", "90s" or plain seconds -> seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 90s, 30m, 24h, 7d`);
  const seconds = Number(m[1]) * (({ m: 60, h: 3600, d: 86_400 } as Record<string, number>)[m[2]] ?? 1);
  if (seconds <= 0) throw new Error('a duration must be positive');
  return seconds;
}

/** Every variable, its parser and its default. */
const SETTINGS = {
  port: setting('PORT', wholeNumber(0, 65535), 3000),
  adminPort: setting('ADMIN_PORT', wholeNumber(0, 65535)), // /metrics and the detailed /health there only
  dataDir: setting('DATA_DIR', text, './data'), // SQLite files, the generated JWT secret
  eventStore: setting('EVENT_STORE', oneOf('sqlite', 'esdb', 'memory'), 'sqlite'), // memory: tests only
  esdbConnectionString: setting('ESDB_CONNECTION_STRING', text),
  readStore: setting('READ_STORE', oneOf('sqlite', 'mongo', 'memory'), 'sqlite'),
  mongodbUri: setting('MONGODB_URI', text),
  authJwtSecret: setting('AUTH_JWT_SECRET', text), // HS256; unset outside production: <dataDir>/jwt-secret
  authJwksUrl: setting('AUTH_JWKS_URL', url), // the identity provider's keys; HS256 is then refused
  authIssuer: setting('AUTH_ISSUER', text),
  authAudience: setting('AUTH_AUDIENCE', text),
  authMaxTokenTtlSeconds: setting('AUTH_MAX_TOKEN_TTL', parseDuration, 86_400), // longest exp - iat
  rateLimitPerMinute: setting('RATE_LIMIT_PER_MINUTE', wholeNumber(), 600), // per caller; 0: no limit
  trustProxy: setting('TRUST_PROXY', bool, false), // the client address from X-Forwarded-For
  corsOrigins: setting('CORS_ORIGINS', origins, []),
  maxConnections: setting('MAX_CONNECTIONS', wholeNumber(), 10_000), // more are closed at accept; 0: no cap
  clock: setting('CLOCK', oneOf('system', 'manual'), 'system'),
  logLevel: setting('LOG_LEVEL', oneOf('silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'), 'info'),
  nodeEnv: setting('NODE_ENV', text, 'development'),
  role: setting('APP_ROLE', oneOf('api', 'worker', 'all'), 'all'), // worker: projections and deadlines only
  leaseTtlMs: setting('LEASE_TTL_MS', wholeNumber(100, 600_000), 15_000), // a dead worker holds it this long
  workers: setting('APP_WORKERS', oneOf('thread', 'inline'), 'thread'), // the worker half of APP_ROLE=all
};

type Values = { [K in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[K]> };
/** The settings without a default, optional properties. */
type Unset = { [K in keyof Values]: undefined extends Values[K] ? K : never }[keyof Values];
export type AppConfig = Omit<Values, Unset> &
  Partial<Pick<Values, Unset>> & {
    /** Not read from the environment: DEFAULT_SERVER_TIMEOUTS unless a test shortens them. */
    serverTimeouts?: ServerTimeouts;
    /** Not read from the environment: SQLite page cache per connection, MB (default: events 32, read 64). */
    sqliteCacheMb?: { events?: number; read?: number };
  };
export type AppRole = AppConfig['role'];

/** Timeouts of the HTTP server (api.md "Limits"); node checks the first two every `checkIntervalMs`. */
export const DEFAULT_SERVER_TIMEOUTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};
export type ServerTimeouts = typeof DEFAULT_SERVER_TIMEOUTS;

/** Production is any NODE_ENV other than development or test (compared case-insensitively). */
export function isProduction(nodeEnv: string): boolean {
  return !['development', 'test'].includes(nodeEnv.trim().toLowerCase());
}

/** Reads the environment, applies overrides (tests, the bench) and checks the settings against each other. */
export function loadConfig(env: Env = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const fromEnv = Object.fromEntries(Object.entries(SETTINGS).map(([key, read]) => [key, read(env)]));
  const defined = Object.entries(overrides).filter(([, v]) => v !== undefined);
  const c = { ...fromEnv, ...Object.fromEntries(defined) } as AppConfig;
  c.dataDir = resolve(c.dataDir);
  const production = isProduction(c.nodeEnv);
  const inProduction = `in production (NODE_ENV=${c.nodeEnv})`;
  // HS256 wants at least 256 bits in production.
  const minSecret = production ? 32 : 16;
  const jwksScheme = c.authJwksUrl === undefined ? undefined : new URL(c.authJwksUrl).protocol;
  const refuse = (message: string): never => {
    throw new ConfigError(message);
  };
  if (c.eventStore === 'esdb' && !c.esdbConnectionString)
    refuse('EVENT_STORE=esdb needs ESDB_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false)');
  if (c.readStore === 'mongo' && !c.mongodbUri)
    refuse('READ_STORE=mongo needs MONGODB_URI (e.g. mongodb://localhost:27017/resolution-center)');
  if (production && (c.eventStore === 'memory' || c.readStore === 'memory'))
    refuse(`the in-memory stores are for tests and are refused ${inProduction}`);
  if (production && c.clock === 'manual') refuse(`CLOCK=manual is refused ${inProduction}`);
  if (jwksScheme !== undefined && jwksScheme !== 'https:' && (production || jwksScheme !== 'http:'))
    refuse(`AUTH_JWKS_URL must be an https URL ${inProduction}`);
  if (jwksScheme === undefined && production && !c.authJwtSecret)
    refuse(`AUTH_JWT_SECRET is required in production unless AUTH_JWKS_URL is set (NODE_ENV=${c.nodeEnv})`);
  if (jwksScheme === undefined && c.authJwtSecret !== undefined && c.authJwtSecret.length < minSecret)
    refuse(
      `AUTH_JWT_SECRET must be at least ${minSecret} characters long${production ? ` ${inProduction}` : ''}`,
    );
  return c;
}
