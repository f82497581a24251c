// Port 0 means "any free port": nats-server cannot report the port it picked
// in a form we can read reliably, and restarts must reuse the same port, so we
// find one ourselves by binding briefly and pass it in.
import { createServer } from 'node:net';

export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (err) => reject(new Error(`finding a free TCP port on ${host}: ${err.message}`, { cause: err })));
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error(`finding a free TCP port on ${host}: no port assigned`))));
    });
  });
}

/** `port` itself, or a free one on `host` when it is 0. */
export async function resolvePort(host: string, port: number): Promise<number> {
  return port === 0 ? pickFreePort(host) : port;
}
