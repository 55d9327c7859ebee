// Preloaded (`node -r`) into the service processes the tests spawn with PORT=0: once a TCP server of this
// process listens, prints `<marker> pid=<pid> port=<port>` on stdout, so the test learns the port the kernel gave
// it. No fixed or guessed ports: several suites (and several engineers' suites) run on one machine at once.
// Test-only: the service itself is unchanged. The pid lets the parent ignore a grandchild that inherited the
// preload through `process.execArgv`.
import { Server } from 'node:net';
import { LISTENING_MARKER } from './listening-port.marker';

const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]): Server {
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object') {
      process.stdout.write(`${LISTENING_MARKER} pid=${process.pid} port=${address.port}\n`);
    }
  });
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof listen;
