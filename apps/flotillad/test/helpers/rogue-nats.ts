// A nats-server started by a test the way an attacker holding some node's files would start one:
// its own config (not Flotilla's), the stolen or forged certificate, the swarm's cluster name
// (no secret) and a route to a manager. It pins nothing itself, so whether a route forms is the
// manager's decision alone. Its monitoring on loopback tells whether it holds a route.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pickFreePort } from '@flotilla/bus';
import { spawnTracked, type DaemonProcess } from './processes.js';
import { waitFor } from './wait.js';

export interface RogueNats {
  readonly process: DaemonProcess;
  readonly monitorPort: number;
  routes(): Promise<number>;
  stop(): Promise<void>;
}

export interface RogueNatsOptions {
  dir: string;
  /** Loopback address the rogue listens on (client, route and monitoring ports picked free). */
  host: string;
  clusterName: string;
  /** e.g. nats-route://127.0.1.10:6222 */
  routeTo: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

export async function startRogueNats(o: RogueNatsOptions): Promise<RogueNats> {
  await mkdir(o.dir, { recursive: true });
  const monitorPort = await pickFreePort(o.host);
  const file = join(o.dir, 'rogue.conf');
  await writeFile(
    file,
    [
      'server_name: rogue',
      `listen: "${o.host}:-1"`,
      `http: "${o.host}:${monitorPort}"`,
      'cluster {',
      `  name: ${JSON.stringify(o.clusterName)}`,
      `  listen: "${o.host}:-1"`,
      `  routes: [${JSON.stringify(o.routeTo)}]`,
      `  tls { cert_file: ${JSON.stringify(o.certFile)}, key_file: ${JSON.stringify(o.keyFile)}, ca_file: ${JSON.stringify(o.caFile)}, verify: true, timeout: 2 }`,
      '}',
      '',
    ].join('\n'),
  );
  const proc = spawnTracked('nats-server', ['-c', file]);
  const routes = (): Promise<number> => routeCount(o.host, monitorPort);
  await waitFor('the rogue nats-server to serve its monitoring', async () => {
    if (proc.child.exitCode !== null) throw new Error(`the rogue nats-server exited: ${proc.stderr()}`);
    return (await routes().catch(() => undefined)) !== undefined ? true : undefined;
  });
  return {
    process: proc,
    monitorPort,
    routes,
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await proc.exited;
    },
  };
}

/** num_routes of the nats-server whose monitoring listens on host:port (/routez). */
export async function routeCount(host: string, port: number): Promise<number> {
  return (await routez(host, port)).num_routes;
}

export async function routez(host: string, port: number): Promise<{ num_routes: number; routes: Array<{ rid: number; remote_id: string }> }> {
  const res = await fetch(`http://${host}:${port}/routez`);
  if (!res.ok) throw new Error(`routez on ${host}:${port} answered ${res.status}`);
  return (await res.json()) as { num_routes: number; routes: Array<{ rid: number; remote_id: string }> };
}
