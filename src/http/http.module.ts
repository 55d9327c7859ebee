import { Controller, DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard';
import { APP_CONFIG, type AppConfig } from '../platform/config/config';
import { EVENT_STORE, type EventStore } from '../platform/event-store/event-store.port';
import { HealthRegistry, type HealthReport } from '../platform/health/health.registry';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { PRODUCT_PROBLEMS, ProblemDetailsFilter, type ProductProblems } from './problem';
import { StrictValidationPipe } from './validation';

class HealthReportDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'down'] })
  status!: string;
  @ApiProperty({
    required: false,
    description:
      'One entry per registered check: { status, critical, details? }. Absent when ADMIN_PORT is set: the ' +
      'detailed report is then served on the admin port only.',
    example: { eventStore: { status: 'ok', critical: true, details: { headPosition: '42' } } },
  })
  checks?: Record<string, unknown>;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: HealthRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) eventStore: EventStore,
  ) {
    registry.register('eventStore', async () => ({
      status: 'ok',
      details: { headPosition: await eventStore.headPosition() },
    }));
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and readiness of the stores and projections (no token needed)' })
  @ApiOkResponse({ type: HealthReportDto, description: 'ok or degraded' })
  @ApiServiceUnavailableResponse({ type: HealthReportDto, description: 'down: a critical check failed' })
  async health(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthReport | Pick<HealthReport, 'status'>> {
    const report = await this.registry.run();
    reply.status(report.status === 'down' ? 503 : 200);
    // With an admin port the public answer says only whether the service is up: the details are for operators.
    return this.config.adminPort === undefined ? report : { status: report.status };
  }
}

/** Cross-cutting HTTP: problem+json errors, strict validation, Idempotency-Key, /health and its HealthRegistry. */
@Module({})
export class HttpModule {
  static forRoot(problems: ProductProblems): DynamicModule {
    return {
      module: HttpModule,
      global: true,
      imports: [IdempotencyModule],
      controllers: [HealthController],
      providers: [
        HealthRegistry,
        { provide: PRODUCT_PROBLEMS, useValue: problems },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
      ],
      exports: [HealthRegistry, PRODUCT_PROBLEMS],
    };
  }
}
