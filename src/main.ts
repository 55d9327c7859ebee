import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './platform/config/config';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  // SIGTERM/SIGINT: stop accepting, finish in-flight requests, close subscriptions and stores.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  new Logger('Bootstrap').log(
    `resolution-center (${config.role}) listening on :${config.port}; event store ${config.eventStore}, ` +
      `read store ${config.readStore}, data in ${config.dataDir}${config.clock === 'manual' ? ', CLOCK=manual' : ''}`,
  );
}

bootstrap().catch((e: unknown) => {
  // A refused configuration is the operator's to fix: one clear line, no stack trace.
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(e);
  process.exit(1);
});
