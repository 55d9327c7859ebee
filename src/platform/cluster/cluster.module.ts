// The lease store and the WorkerSupervisor: modules owning a background worker register it with the supervisor
// (`supervisor.register('projections', engine)`) in onModuleInit instead of starting it themselves.
import {
  BeforeApplicationShutdown,
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/config';
import { HealthRegistry } from '../health/health.registry';
import { LEASE_STORE, LeaseStore } from './lease-store.port';
import { SqliteLeaseStore } from './sqlite-lease-store';
import { WorkerSupervisor } from './worker-supervisor';

function createLeaseStore(config: AppConfig): LeaseStore {
  if (config.readStore === 'mongo') {
    // Lazy: mongoose is only loaded by deployments that use MongoDB.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MongoLeaseStore } = require('./mongo-lease-store') as typeof import('./mongo-lease-store');
    return new MongoLeaseStore(config.mongodbUri ?? '');
  }
  return new SqliteLeaseStore(
    config.readStore === 'memory' ? ':memory:' : join(config.dataDir, 'cluster.db'),
  );
}

@Global()
@Module({
  providers: [
    { provide: LEASE_STORE, inject: [APP_CONFIG], useFactory: createLeaseStore },
    {
      provide: WorkerSupervisor,
      inject: [APP_CONFIG, LEASE_STORE, HealthRegistry],
      useFactory: ({ role, leaseTtlMs }: AppConfig, leases: LeaseStore, health: HealthRegistry) => {
        const logger = new Logger('WorkerSupervisor');
        const supervisor = new WorkerSupervisor(leases, { role, ttlMs: leaseTtlMs, logger });
        // Non-critical: a standby worker or an API replica is healthy without the lease.
        const check = () => ({ status: 'ok' as const, details: supervisor.status() });
        health.register('workers', check, { critical: false });
        return supervisor;
      },
    },
  ],
  exports: [WorkerSupervisor, LEASE_STORE],
})
export class ClusterModule
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly supervisor: WorkerSupervisor,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: a catch-up must not hold the HTTP listener back (the supervisor logs and retries errors).
    void this.supervisor.start();
  }

  /** The workers stop and the lease is released before the stores close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.supervisor.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leases.close();
  }
}
