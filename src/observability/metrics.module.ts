// GET /metrics on the public port (no ADMIN_PORT: development) or on the admin port only (admin-server.ts).
import { Controller, Get, Global, Header, Module, Res } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { AdminServer } from './admin-server';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  render(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('content-type', this.metrics.contentType);
    return this.metrics.render();
  }
}

@Global()
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
