export * from './health.registry';
export { HealthModule } from './health.module';
