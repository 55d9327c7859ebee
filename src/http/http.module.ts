import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { ProblemDetailsFilter } from './problem-details.filter';
import { StrictValidationPipe } from './validation';

/** Cross-cutting HTTP: problem+json for every error, strict DTO validation, health, Idempotency-Key. */
@Module({
  imports: [HealthModule, IdempotencyModule],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useClass: StrictValidationPipe },
  ],
})
export class HttpModule {}
