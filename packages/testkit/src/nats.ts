// A real nats-server for tests: mutual TLS on an ephemeral loopback port,
// supervised by @flotilla/bus, with users mapped from the test PKI's client
// certificates.
import { join } from 'node:path';
import {
  connectBus,
  NatsServerSupervisor,
  type BusConnection,
  type ConnectOptions,
  type Logger,
  type NatsUser,
} from '@flotilla/bus';
import type { TestPki } from './pki.js';

export interface StartTestNatsOptions {
  pki: TestPki;
  /** Default: every client certificate of the PKI, with no permission limits. */
  users?: NatsUser[];
  /** Where the config goes; default a directory inside the PKI's. */
  configDir?: string;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  serverName?: string;
  logger?: Logger;
}

export interface TestNats {
  url: string;
  port: number;
  supervisor: NatsServerSupervisor;
  /** The TLS material for connecting as one of the PKI's clients. */
  tlsFor(clientName: string): { ca: string; cert: string; key: string };
  /** Connects as a PKI client; the connection is closed by stop(). */
  connect(clientName: string, opts?: Partial<ConnectOptions>): Promise<BusConnection>;
  /** Closes the connections made by connect() and stops the server. */
  stop(): Promise<void>;
}

let instances = 0;

export async function startTestNats(opts: StartTestNatsOptions): Promise<TestNats> {
  const { pki } = opts;
  const host = opts.host ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new Error(`startTestNats: host ${JSON.stringify(host)} must be a 127.x.y.z loopback address`);
  }
  const users = opts.users ?? Object.values(pki.clients).map((c) => ({ user: c.dn }));
  if (users.length === 0) {
    throw new Error('startTestNats: no users; pass users or give the PKI at least one client certificate');
  }
  const serverName = opts.serverName ?? `test-nats-${process.pid}-${instances++}`;
  const supervisor = new NatsServerSupervisor({
    configDir: opts.configDir ?? join(pki.dir, serverName),
    serverName,
    host,
    port: 0,
    tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
    users,
    stopGraceMs: 2_000,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  await supervisor.start();
  const connections: BusConnection[] = [];

  const tlsFor = (clientName: string): { ca: string; cert: string; key: string } => {
    const client = pki.clients[clientName];
    if (!client) {
      throw new Error(`startTestNats: the PKI has no client ${JSON.stringify(clientName)} (has ${Object.keys(pki.clients).join(', ') || 'none'})`);
    }
    return { ca: pki.ca.cert, cert: client.cert, key: client.key };
  };

  return {
    url: supervisor.url,
    port: supervisor.clientPort,
    supervisor,
    tlsFor,
    async connect(clientName, extra = {}) {
      const bus = await connectBus({ servers: [supervisor.url], tls: tlsFor(clientName), name: clientName, ...extra });
      connections.push(bus);
      return bus;
    },
    async stop() {
      await Promise.allSettled(connections.splice(0).map((c) => c.close()));
      await supervisor.stop();
    },
  };
}
