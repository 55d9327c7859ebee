import {
  Global,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { HealthRegistry } from '../../platform/health/health.registry';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '../../platform/idempotency/idempotency-store.port';
import { IdempotencyService } from './idempotency.service';
import { InMemoryIdempotencyStore } from '../../platform/idempotency/in-memory-idempotency-store';
import { SqliteIdempotencyStore } from '../../platform/idempotency/sqlite-idempotency-store';

/** Recorded responses are kept this long: retries come within minutes, a day is generous. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 60 * 60 * 1000;

export function createIdempotencyStore(config: AppConfig): IdempotencyStore {
  if (config.readStore === 'mongo') {
    // Lazy: mongoose is only loaded by deployments that use MongoDB. Shared by every API replica.
    const { MongoIdempotencyStore } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../platform/idempotency/mongo-idempotency-store') as typeof import('../../platform/idempotency/mongo-idempotency-store');
    return new MongoIdempotencyStore(config.mongodbUri ?? '', { retentionMs: IDEMPOTENCY_RETENTION_MS });
  }
  if (config.readStore === 'memory') return new InMemoryIdempotencyStore();
  return new SqliteIdempotencyStore(join(config.dataDir, 'idempotency.db'));
}

@Global()
@Module({
  providers: [
    { provide: IDEMPOTENCY_STORE, inject: [APP_CONFIG], useFactory: createIdempotencyStore },
    IdempotencyService,
  ],
  exports: [IDEMPOTENCY_STORE, IdempotencyService],
})
export class IdempotencyModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register('idempotencyStore', () => this.store.ping(), { critical: false });
  }

  onApplicationBootstrap(): void {
    if (this.store.expiresRecords) return; // by the server's clock (MongoDB's TTL index), not ours
    const purge = () => void this.store.purge(Date.now() - IDEMPOTENCY_RETENTION_MS).catch(() => undefined);
    purge();
    this.timer = setInterval(purge, PURGE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.store.close();
  }
}
