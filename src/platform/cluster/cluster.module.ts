// Wires the lease store and the WorkerSupervisor. Modules owning a background worker register it in their
// onModuleInit instead of starting it themselves:
//   constructor(private readonly supervisor: WorkerSupervisor) {}
//   onModuleInit() { this.supervisor.register('projections', this.engine); }
// The supervisor starts competing for the `worker` lease once the application has bootstrapped (never with
// APP_ROLE=api), and on shutdown stops the workers and releases the lease before the stores close.
import {
  BeforeApplicationShutdown,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig, ConfigError } from '../config/config';
import { HealthRegistry } from '../health/health.registry';
import { InMemoryLeaseStore } from './in-memory-lease-store';
import { LEASE_STORE, LeaseStore } from './lease-store.port';
import { SqliteLeaseStore } from './sqlite-lease-store';
import { DEFAULT_LEASE_TTL_MS, WorkerSupervisor } from './worker-supervisor';

/** LEASE_TTL_MS (default 15000): how long a dead worker holds the lease; renewal every third of it. */
export function leaseTtlFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LEASE_TTL_MS?.trim();
  if (!raw) return DEFAULT_LEASE_TTL_MS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 100 || value > 10 * 60_000) {
    throw new ConfigError(`LEASE_TTL_MS=${JSON.stringify(raw)}: expected an integer in 100..600000 (ms)`);
  }
  return value;
}

export function createLeaseStore(config: AppConfig): LeaseStore {
  switch (config.readStore) {
    case 'mongo': {
      // Lazy: mongoose is only loaded by deployments that use MongoDB.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { MongoLeaseStore } = require('./mongo-lease-store') as typeof import('./mongo-lease-store');
      return new MongoLeaseStore(config.mongodbUri ?? '');
    }
    case 'memory':
      return new InMemoryLeaseStore();
    default:
      return new SqliteLeaseStore({ dataDir: config.dataDir });
  }
}

@Injectable()
export class ClusterLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly supervisor: WorkerSupervisor,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    // Non-critical: a standby worker or an API replica is healthy without the lease.
    this.health.register('workers', () => ({ status: 'ok', details: { ...this.supervisor.status() } }), {
      critical: false,
    });
  }

  onApplicationBootstrap(): void {
    // Not awaited: starting the workers (a catch-up) must not hold the HTTP listener back. Errors are logged
    // and retried by the supervisor.
    void this.supervisor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.supervisor.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leases.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: LEASE_STORE, inject: [APP_CONFIG], useFactory: createLeaseStore },
    {
      provide: WorkerSupervisor,
      inject: [APP_CONFIG, LEASE_STORE],
      useFactory: (config: AppConfig, leases: LeaseStore) =>
        new WorkerSupervisor(leases, {
          role: config.role,
          ttlMs: leaseTtlFromEnv(),
          logger: new Logger('WorkerSupervisor'),
        }),
    },
    ClusterLifecycle,
  ],
  exports: [WorkerSupervisor, LEASE_STORE],
})
export class ClusterModule {}
