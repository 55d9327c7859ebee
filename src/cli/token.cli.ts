// npm run token (USAGE below) prints a token signed with the service's secret: AUTH_JWT_SECRET, else
// <DATA_DIR>/jwt-secret (created if missing, exactly as the service would).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isUserId } from '../auth/user-id';
import { createClock } from '../platform/clock/persistent-manual-clock';
import { loadConfig, parseDuration } from '../platform/config/config';
import { STAFF_ROLES, StaffRole } from '../orders/domain/order.types';
import { signToken } from '../auth/jwt';
import { resolveJwtSecret } from '../auth/jwt-secret';

const USAGE = 'usage: npm run token -- <userId> [--role support|auditor|analyst|checkout]... [--ttl 24h]';

const OPTIONS = {
  role: { type: 'string', multiple: true },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseTokenArgs(argv: string[]): { userId: string; roles: StaffRole[]; ttlSeconds: number } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const userId = positionals[0];
  if (values.help || !userId?.trim()) throw new Error(USAGE);
  if (positionals.length > 1) throw new Error(`unexpected argument ${positionals[1]}\n${USAGE}`);
  if (!isUserId(userId))
    throw new Error(`invalid user id ${JSON.stringify(userId)}: 1..128 of A-Z a-z 0-9 . _ : @ -, not system`);
  const roles = values.role ?? [];
  const unknown = roles.find((r) => !(STAFF_ROLES as readonly string[]).includes(r));
  if (unknown !== undefined)
    throw new Error(`unknown role ${JSON.stringify(unknown)}: expected ${STAFF_ROLES.join(', ')}`);
  const ttlSeconds = values.ttl === undefined ? 86_400 : parseDuration(values.ttl);
  return { userId, roles: [...new Set(roles as StaffRole[])], ttlSeconds };
}

async function main(): Promise<void> {
  try {
    const { userId, roles, ttlSeconds } = parseTokenArgs(process.argv.slice(2));
    const config = loadConfig(process.env);
    if (ttlSeconds > config.authMaxTokenTtlSeconds) {
      throw new Error(
        `--ttl over AUTH_MAX_TOKEN_TTL (${config.authMaxTokenTtlSeconds} s): the service would refuse it`,
      );
    }
    // iat from the service's clock: under CLOCK=manual the persisted test clock in DATA_DIR.
    const nowMs = createClock(config).now().getTime();
    const token = await signToken({ sub: userId, roles }, resolveJwtSecret(config), {
      ttlSeconds,
      nowMs,
      issuer: config.authIssuer,
      audience: config.authAudience,
    });
    process.stdout.write(token + '\n');
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

// Run directly (node dist/cli/token.cli.js) or through scripts/run-ts.cjs, which sets argv[1] to this file.
if (require.main === module || resolve(process.argv[1] ?? '') === __filename) void main();
