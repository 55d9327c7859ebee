// Ports for tests that must name one before anything listens on it (a container's fixed host port, an address
// where nothing answers). Prefer PORT=0 with service-process.ts wherever the server can pick its own.
import { AddressInfo, createServer } from 'node:net';

/** A port the kernel reports free now (bound on every interface and released). */
export function freePort(host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
