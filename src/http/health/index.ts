export * from '../../platform/health/health.registry';
export { HealthModule } from './health.module';
