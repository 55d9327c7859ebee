// GET /metrics on the public port (development), or with ADMIN_PORT on its own port beside the detailed /health.
import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import fastify, { type FastifyInstance } from 'fastify';
import { prometheusContentType } from 'prom-client';
import { Public } from '../auth/auth.guard';
import { APP_CONFIG, type AppConfig } from '../platform/config/config';
import { HealthRegistry } from '../platform/health/health.registry';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  @Header('content-type', prometheusContentType)
  render(): Promise<string> {
    return this.metrics.render();
  }
}

@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: FastifyInstance;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly health: HealthRegistry,
  ) {}

  /** The bound port (ADMIN_PORT=0 picks a free one). */
  get port(): number | undefined {
    const address = this.server?.server.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.adminPort === undefined) return;
    const server = fastify();
    server.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    });
    server.get('/metrics', async (_request, reply) =>
      reply.type(prometheusContentType).send(await this.metrics.render()),
    );
    server.get('/health', async (_request, reply) => {
      const report = await this.health.run();
      return reply.status(report.status === 'down' ? 503 : 200).send(report);
    });
    this.server = server;
    await server.listen({ port: this.config.adminPort, host: '0.0.0.0' });
    new Logger('Admin').log(`/metrics and /health on admin port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class MetricsModule {
  static forRoot(options: { adminPort?: number }): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [MetricsService, AdminServer],
      controllers: options.adminPort === undefined ? [MetricsController] : [],
      exports: [MetricsService, AdminServer],
    };
  }
}
