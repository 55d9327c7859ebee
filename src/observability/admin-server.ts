// ADMIN_PORT: /metrics and the detailed /health on a port of their own, for the admin network only; the public
// port then answers /health with the status alone and has no /metrics.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../platform/config/config';
import { HealthRegistry } from '../platform/health/health.registry';
import { MetricsService } from './metrics.service';

@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly health: HealthRegistry,
  ) {}

  /** The bound port (ADMIN_PORT=0 picks a free one). */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.adminPort === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const answer = (status: number, type: string, body: string) => {
        res.writeHead(status, {
          'content-type': type,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(body);
      };
      if (req.method !== 'GET') return answer(405, 'text/plain', 'method not allowed\n');
      if (path === '/metrics') {
        this.metrics.render().then(
          (text) => answer(200, this.metrics.contentType, text),
          () => answer(500, 'text/plain', 'metrics failed\n'),
        );
      } else if (path === '/health') {
        this.health.run().then(
          (report) =>
            answer(report.status === 'down' ? 503 : 200, 'application/json', JSON.stringify(report)),
          () => answer(500, 'text/plain', 'health failed\n'),
        );
      } else answer(404, 'text/plain', 'not found\n');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.adminPort, '0.0.0.0', () => resolve());
    });
    new Logger('Admin').log(`/metrics and /health on admin port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }
}
