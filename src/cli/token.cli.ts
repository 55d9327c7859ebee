// npm run token -- <userId> [--role support|auditor|analyst|checkout]... [--ttl 24h]
// Prints a token signed with the service's secret: AUTH_JWT_SECRET, else <DATA_DIR>/jwt-secret (created if
// missing, exactly as the service would).
import { resolve } from 'node:path';
import { isUserId } from '../auth/user-id';
import { createClock } from '../platform/clock/clock.module';
import { loadConfig, parseDuration } from '../platform/config/config';
import { STAFF_ROLES, StaffRole } from '../orders/domain/order.types';
import { signToken } from '../auth/jwt';
import { resolveJwtSecret } from '../auth/jwt-secret';

const USAGE = 'usage: npm run token -- <userId> [--role support|auditor|analyst|checkout]... [--ttl 24h]';

export function parseTokenArgs(argv: string[]): { userId: string; roles: StaffRole[]; ttlSeconds: number } {
  let userId: string | undefined;
  const roles: StaffRole[] = [];
  let ttlSeconds = 86_400;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split('=', 2) : [arg, undefined];
    if (flag === '--role' || flag === '--ttl') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      if (flag === '--ttl') ttlSeconds = parseDuration(value);
      else if ((STAFF_ROLES as readonly string[]).includes(value)) roles.push(value as StaffRole);
      else throw new Error(`unknown role ${JSON.stringify(value)}: expected ${STAFF_ROLES.join(', ')}`);
    } else if (flag === '--help' || flag === '-h') {
      throw new Error(USAGE);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else if (userId === undefined) {
      userId = arg;
    } else {
      throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    }
  }
  if (!userId || !userId.trim()) throw new Error(USAGE);
  if (!isUserId(userId))
    throw new Error(`invalid user id ${JSON.stringify(userId)}: 1..128 of A-Z a-z 0-9 . _ : @ -, not system`);
  return { userId, roles: [...new Set(roles)], ttlSeconds };
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
    const secret = resolveJwtSecret(config);
    // iat from the service's clock: under CLOCK=manual the persisted test clock in DATA_DIR.
    const nowMs = createClock(config).now().getTime();
    const token = await signToken({ sub: userId, roles }, secret, {
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

// Run directly (node dist/auth/token.cli.js) or through scripts/run-ts.cjs, which sets argv[1] to this file.
if (require.main === module || resolve(process.argv[1] ?? '') === __filename) void main();
