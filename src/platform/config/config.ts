// Typed configuration from the environment (api.md "Configuration"). Everything is validated once at start-up:
// a bad value stops the service with a message naming the variable, instead of failing on the first request.
import { resolve } from 'node:path';

export const APP_CONFIG = Symbol('APP_CONFIG');

export const EVENT_STORE_KINDS = ['sqlite', 'esdb', 'memory'] as const;
export const READ_STORE_KINDS = ['sqlite', 'mongo', 'memory'] as const;
export const CLOCK_KINDS = ['system', 'manual'] as const;
export const APP_ROLES = ['api', 'worker', 'all'] as const;
export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export type EventStoreKind = (typeof EVENT_STORE_KINDS)[number];
export type ReadStoreKind = (typeof READ_STORE_KINDS)[number];
export type ClockKind = (typeof CLOCK_KINDS)[number];
/** api: HTTP only; worker: projections and deadlines only; all: both in one process. */
export type AppRole = (typeof APP_ROLES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  clock: ClockKind;
  logLevel: LogLevel;
  nodeEnv: string;
  role: AppRole;
  /** Not read from the environment: the rebuild CLI reads the SQLite files through memory maps this large. */
  sqliteMmapBytes?: number;
}

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
    clock: oneOf(env, 'CLOCK', CLOCK_KINDS, 'system'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    nodeEnv: optional(env, 'NODE_ENV') ?? 'development',
    role: oneOf(env, 'APP_ROLE', APP_ROLES, 'all'),
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
  const production = c.nodeEnv === 'production';
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
    throw new ConfigError('the in-memory stores are for tests and are refused with NODE_ENV=production');
  }
  if (production && c.clock === 'manual') {
    throw new ConfigError('CLOCK=manual is refused with NODE_ENV=production');
  }
  if (production && !c.authJwtSecret) {
    throw new ConfigError('AUTH_JWT_SECRET is required with NODE_ENV=production');
  }
  if (c.authJwtSecret !== undefined && c.authJwtSecret.length < 16) {
    throw new ConfigError('AUTH_JWT_SECRET must be at least 16 characters long');
  }
  return c;
}
