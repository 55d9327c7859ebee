import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, isProduction } from '../platform/config/config';

/** AUTH_JWT_SECRET, or outside production one kept in `<DATA_DIR>/jwt-secret` (0600): tokens survive restarts. */
export function resolveJwtSecret(config: Pick<AppConfig, 'authJwtSecret' | 'dataDir' | 'nodeEnv'>): string {
  if (config.authJwtSecret) return config.authJwtSecret;
  if (isProduction(config.nodeEnv)) throw new Error('AUTH_JWT_SECRET is required in production');
  const file = join(config.dataDir, 'jwt-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': if another process created it meanwhile, keep theirs.
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return secret;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw e;
  }
}
