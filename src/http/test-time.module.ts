import { Module } from '@nestjs/common';
import { TestingClockController } from './test-time.controller';

/** GET/POST /testing/clock: the composition root imports it only for CLOCK=manual; otherwise the routes are 404. */
@Module({ controllers: [TestingClockController] })
export class TestingClockModule {}
