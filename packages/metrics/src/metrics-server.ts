import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { NodeMetrics } from './node-metrics.js';

export interface MetricsAddr {
  readonly host: string;
  readonly port: number;
}

function isLoopback(host: string): boolean {
  return (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

/**
 * `--metrics-addr HOST:PORT` (`[::1]:PORT` for IPv6). Plain HTTP is served on loopback only, as
 * the rule that every network listener is authenticated allows: anything else is refused here,
 * with the reason. Pure.
 */
export function parseMetricsAddr(value: string): MetricsAddr {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(`--metrics-addr ${JSON.stringify(value)}: expected HOST:PORT, e.g. 127.0.0.1:9323`);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65_535) throw new Error(`--metrics-addr ${value}: port ${port} is out of range 0-65535 (0: any free port)`);
  if (!isIP(host)) throw new Error(`--metrics-addr ${value}: ${host} is not an IP address`);
  if (!isLoopback(host)) {
    throw new Error(
      `--metrics-addr ${value}: ${host} is not a loopback address; metrics are served in plain HTTP, so only on 127.0.0.0/8 or ::1 ` +
        '(scrape other nodes through a local Prometheus agent or an SSH tunnel)',
    );
  }
  return { host, port };
}

export interface MetricsServer {
  /** Where it listens (the port the kernel gave when 0 was asked). */
  readonly addr: MetricsAddr;
  close(): Promise<void>;
}

/** Serves `GET /metrics` in Prometheus text format; every other path is 404, other methods 405. */
export async function serveMetrics(metrics: NodeMetrics, addr: MetricsAddr): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    metrics.scrape().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scraper that stops mid-request must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`metrics: cannot listen on ${addr.host}:${addr.port}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`)),
    );
    server.listen(addr.port, addr.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : addr.port;
  return {
    addr: { host: addr.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
