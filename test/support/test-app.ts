// startTestApp(): the real application (fastify, every module) on a fresh temp DATA_DIR with embedded SQLite
// stores, a fixed JWT secret and no logging; `http` drives it in-process through supertest.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { resolveJwtSecret } from '../../src/auth/jwt-secret';
import { CLOCK, type Clock, ManualClock } from '../../src/platform/clock/clock.port';
import { APP_CONFIG, AppConfig } from '../../src/platform/config/config';
import type { StaffRole } from '../../src/orders/domain/order.types';
import { testToken } from './tokens';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the app: `http.post('/orders').set(auth(token)).send(body)`. */
  http: ReturnType<typeof request>;
  /** A valid token for `userId` (1 h from the app's clock), signed with the app's secret. */
  token(userId: string, roles?: StaffRole[]): string;
  dataDir: string;
  config: AppConfig;
  /** Present with `{ clock: 'manual' }`. */
  clock?: ManualClock;
  /** Closes the app and starts a new one on the same DATA_DIR and configuration (durability tests). */
  restart(): Promise<TestApp>;
  /** Closes the app; removes DATA_DIR unless the caller passed it in. */
  close(): Promise<void>;
}

export async function startTestApp(overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const ownsDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'rc-test-'));
  const app = await createApp(
    {
      eventStore: 'sqlite',
      readStore: 'sqlite',
      clock: 'system',
      nodeEnv: 'test',
      role: 'all',
      logLevel: 'error',
      authJwtSecret: TEST_JWT_SECRET,
      // Test files send far more than 600 requests a minute as one caller; edge-limits.spec.ts turns it on.
      rateLimitPerMinute: 0,
      ...overrides,
      dataDir,
    },
    { logger: false },
  );
  const config = app.get<AppConfig>(APP_CONFIG);
  const secret = resolveJwtSecret(config);
  const clock = app.get<Clock>(CLOCK);
  let closed = false;
  const close = async (removeDir: boolean) => {
    if (!closed) {
      closed = true;
      await app.close();
    }
    if (removeDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    app,
    http: request(app.getHttpServer()),
    token: (userId, roles = []) => testToken(userId, roles, secret, { nowMs: clock.now().getTime() }),
    dataDir,
    config,
    clock: clock instanceof ManualClock ? clock : undefined,
    async restart() {
      await close(false);
      const next = await startTestApp({ ...overrides, dataDir });
      // The restarted app owns the directory the first one created.
      if (ownsDir) {
        const innerClose = next.close;
        next.close = async () => {
          await innerClose();
          rmSync(dataDir, { recursive: true, force: true });
        };
      }
      return next;
    },
    close: () => close(ownsDir),
  };
}

/** `Authorization: Bearer <token>` header object for supertest's `.set()`. */
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });
