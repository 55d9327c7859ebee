import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      dataDir: resolve('./data'),
      eventStore: 'sqlite',
      esdbConnectionString: undefined,
      readStore: 'sqlite',
      mongodbUri: undefined,
      authJwtSecret: undefined,
      authJwksUrl: undefined,
      authIssuer: undefined,
      authAudience: undefined,
      authMaxTokenTtlSeconds: 86_400,
      rateLimitPerMinute: 600,
      trustProxy: false,
      corsOrigins: [],
      maxConnections: 10_000,
      clock: 'system',
      logLevel: 'info',
      nodeEnv: 'development',
      role: 'all',
      workers: 'thread',
      leaseTtlMs: 15_000,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '8080',
      DATA_DIR: '/tmp/rc',
      EVENT_STORE: 'esdb',
      ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      READ_STORE: 'MONGO',
      MONGODB_URI: 'mongodb://localhost/rc',
      AUTH_JWT_SECRET: 'a-long-enough-secret',
      CLOCK: 'manual',
      LOG_LEVEL: 'debug',
      NODE_ENV: 'test',
      APP_ROLE: 'worker',
    });
    expect(c).toMatchObject({
      port: 8080,
      dataDir: '/tmp/rc',
      eventStore: 'esdb',
      readStore: 'mongo',
      clock: 'manual',
      logLevel: 'debug',
      nodeEnv: 'test',
      role: 'worker',
    });
  });

  it('lets overrides win over the environment', () => {
    expect(loadConfig({ PORT: '1' }, { port: 2, eventStore: 'memory' })).toMatchObject({
      port: 2,
      eventStore: 'memory',
    });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ EVENT_STORE: 'postgres' }, /EVENT_STORE="postgres": expected one of sqlite, esdb, memory/],
    [{ READ_STORE: 'redis' }, /READ_STORE/],
    [{ CLOCK: 'fast' }, /CLOCK/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ NODE_ENV: 'Production', CLOCK: 'manual', AUTH_JWT_SECRET: 'x'.repeat(32) }, /CLOCK=manual/],
    [{ NODE_ENV: 'staging', AUTH_JWT_SECRET: 'x'.repeat(31) }, /at least 32 characters/],
    [{ NODE_ENV: 'PRODUCTION', AUTH_JWT_SECRET: 'x'.repeat(16) }, /at least 32 characters/],
    [{ NODE_ENV: 'prod', AUTH_JWKS_URL: 'http://idp.example/jwks' }, /https/],
    [{ AUTH_MAX_TOKEN_TTL: 'forever' }, /AUTH_MAX_TOKEN_TTL/],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, /RATE_LIMIT_PER_MINUTE/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ CORS_ORIGINS: 'https://a.example/path' }, /CORS_ORIGINS/],
    [{ APP_ROLE: 'boss' }, /APP_ROLE/],
    [{ APP_WORKERS: 'threads' }, /APP_WORKERS/],
    [{ LEASE_TTL_MS: '50' }, /LEASE_TTL_MS="50": expected a whole number in 100..600000/],
    [{ EVENT_STORE: 'esdb' }, /ESDB_CONNECTION_STRING/],
    [{ READ_STORE: 'mongo' }, /MONGODB_URI/],
    [{ AUTH_JWT_SECRET: 'short' }, /at least 16/],
    [{ NODE_ENV: 'production', CLOCK: 'manual', AUTH_JWT_SECRET: 'x'.repeat(32) }, /CLOCK=manual/],
    [{ NODE_ENV: 'production' }, /AUTH_JWT_SECRET is required/],
    [{ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), EVENT_STORE: 'memory' }, /in-memory/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
