// npm run token -- <userId> [--role support|auditor|analyst]... [--ttl 24h]
// Prints a token signed with the service's secret: AUTH_JWT_SECRET, else <DATA_DIR>/jwt-secret (created if
// missing, exactly as the service would).
import { resolve } from 'node:path';
import { loadConfig } from '../platform/config/config';
import { STAFF_ROLES, StaffRole } from '../orders/domain/order.types';
import { parseTtl, signToken } from '../auth/jwt';
import { resolveJwtSecret } from '../auth/jwt-secret';

const USAGE = 'usage: npm run token -- <userId> [--role support|auditor|analyst]... [--ttl 24h]';

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
      if (flag === '--ttl') ttlSeconds = parseTtl(value);
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
  return { userId, roles: [...new Set(roles)], ttlSeconds };
}

function main(): void {
  try {
    const { userId, roles, ttlSeconds } = parseTokenArgs(process.argv.slice(2));
    const secret = resolveJwtSecret(loadConfig(process.env));
    process.stdout.write(signToken({ sub: userId, roles }, secret, { ttlSeconds }) + '\n');
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

// Run directly (node dist/auth/token.cli.js) or through scripts/run-ts.cjs, which sets argv[1] to this file.
if (require.main === module || resolve(process.argv[1] ?? '') === __filename) main();
