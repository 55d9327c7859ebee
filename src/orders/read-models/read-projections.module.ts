import { Module, OnModuleInit } from '@nestjs/common';
import { ProjectionEngine } from '../../platform/projections/projection-engine';
import { createReadSideProjections } from './read-side.projections';

/** Registers the read side's projections on the engine (before it starts). */
@Module({})
export class ReadProjectionsModule implements OnModuleInit {
  constructor(private readonly engine: ProjectionEngine) {}

  onModuleInit(): void {
    for (const projection of createReadSideProjections()) this.engine.register(projection);
  }
}
