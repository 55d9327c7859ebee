import { Global, Inject, Module, OnModuleInit } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { HealthController } from './health.controller';
import { HealthRegistry } from '../../platform/health/health.registry';

/** GET /health and the HealthRegistry every module registers its checks with. */
@Global()
@Module({
  controllers: [HealthController],
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class HealthModule implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {}

  onModuleInit(): void {
    this.registry.register('eventStore', async () => ({
      status: 'ok',
      details: { headPosition: await this.eventStore.headPosition() },
    }));
  }
}
