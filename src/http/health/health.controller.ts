import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { HealthRegistry, HealthReport } from '../../platform/health/health.registry';

class HealthReportDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'down'] })
  status!: string;
  @ApiProperty({
    description: 'One entry per registered check: { status, critical, details? }',
    example: { eventStore: { status: 'ok', critical: true, details: { headPosition: '42' } } },
  })
  checks!: Record<string, unknown>;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Public()
  @Get()
  @ApiOkResponse({ type: HealthReportDto, description: 'ok or degraded' })
  @ApiServiceUnavailableResponse({ type: HealthReportDto, description: 'down: a critical check failed' })
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.registry.run();
    reply.status(report.status === 'down' ? 503 : 200);
    return report;
  }
}
