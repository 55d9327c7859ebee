import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { ProblemDetailsFilter } from './problem-details.filter';
import { PRODUCT_PROBLEMS, type ProductProblems } from './problem';
import { StrictValidationPipe } from './validation';

/**
 * Cross-cutting HTTP: problem+json for every error, strict DTO validation, health, Idempotency-Key. The product's
 * error codes are handed in by the composition root.
 */
@Module({})
export class HttpModule {
  static forRoot(problems: ProductProblems): DynamicModule {
    return {
      module: HttpModule,
      global: true,
      imports: [HealthModule, IdempotencyModule],
      providers: [
        { provide: PRODUCT_PROBLEMS, useValue: problems },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
      ],
      exports: [PRODUCT_PROBLEMS],
    };
  }
}
