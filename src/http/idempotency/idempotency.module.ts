import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { HealthRegistry } from '../../platform/health/health.registry';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '../../platform/idempotency/idempotency-store.port';
import { SqliteIdempotencyStore } from '../../platform/idempotency/sqlite-idempotency-store';
import { IdempotencyService } from './idempotency.service';

/** Where READ_STORE keeps the read models: MongoDB (shared by every API replica), a SQLite file, or memory. */
export function createIdempotencyStore(config: AppConfig): IdempotencyStore {
  if (config.readStore === 'mongo') {
    // Lazy: mongoose is only loaded by deployments that use MongoDB.
    const { MongoIdempotencyStore } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../platform/idempotency/mongo-idempotency-store') as typeof import('../../platform/idempotency/mongo-idempotency-store');
    return new MongoIdempotencyStore(config.mongodbUri ?? '');
  }
  return new SqliteIdempotencyStore(
    config.readStore === 'memory' ? ':memory:' : join(config.dataDir, 'idempotency.db'),
  );
}

@Global()
@Module({
  providers: [
    { provide: IDEMPOTENCY_STORE, inject: [APP_CONFIG], useFactory: createIdempotencyStore },
    IdempotencyService,
  ],
  exports: [IDEMPOTENCY_STORE, IdempotencyService],
})
export class IdempotencyModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register('idempotencyStore', () => this.store.ping(), { critical: false });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
