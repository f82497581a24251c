// Several real flotillad daemons on one machine, each on its own loopback address (like separate
// hosts) with its own data dir, socket, nats-server and Raft WAL, all driving the one real Docker
// Engine. Like separate machines, every daemon uses the same ports on its own address.
import Docker from 'dockerode';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { pickFreePort } from '@flotilla/bus';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from './processes.js';

export interface LoopbackHost {
  readonly name: string;
  readonly addr: string;
  readonly dataDir: string;
  readonly socket: string;
  daemon?: DaemonProcess;
  /** Set by the test once the node is in a swarm: its containers are removed at the end. */
  nodeId: string;
}

export interface LoopbackCluster {
  readonly dir: string;
  readonly hosts: readonly LoopbackHost[];
  /** The swarm's join/control port, the same on every address. */
  readonly joinPort: number;
  /** The NATS route port managers listen on, the same on every address. */
  readonly natsClusterPort: number;
  /** (Re)starts a host's daemon from its data dir and waits until its socket answers (default 15 s). */
  start(host: LoopbackHost, deadlineMs?: number): Promise<void>;
  cli(host: LoopbackHost, ...args: string[]): Promise<Finished>;
  /** The CLI's stdout; a non-zero exit throws with its stderr. */
  ok(host: LoopbackHost, ...args: string[]): Promise<string>;
  /** The id of the node `node ls` on `host` calls Leader (undefined while there is none or the call fails). */
  leaderOf(host: LoopbackHost): Promise<string | undefined>;
  /** Stops every daemon and its nats-server, removes the swarm's containers and the temp dir. */
  stop(): Promise<void>;
}

export interface LoopbackClusterOptions {
  readonly addrs: readonly string[];
  readonly names: readonly string[];
  /** Prefix of the temp dir under the OS temp dir. */
  readonly tmpPrefix: string;
  /** Extra daemon flags (e.g. --log-level debug). */
  readonly daemonArgs?: readonly string[];
  /** Extra flags of one host's daemon (e.g. a diagnostic listener on its own address). */
  readonly hostArgs?: (host: LoopbackHost) => readonly string[];
  /** Extra environment of every daemon (e.g. test/ops knobs). */
  readonly daemonEnv?: Readonly<Record<string, string>>;
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePortOnAll(addrs: readonly string[]): Promise<number> {
  for (;;) {
    const port = await pickFreePort(addrs[0]!);
    const others = await Promise.all(addrs.slice(1).map((a) => portIsFree(a, port)));
    if (others.every(Boolean)) return port;
  }
}

/** Starts one daemon per address (not yet in a swarm). */
export async function startLoopbackCluster(opts: LoopbackClusterOptions): Promise<LoopbackCluster> {
  const dir = await mkdtemp(join(tmpdir(), opts.tmpPrefix));
  const natsPort = await freePortOnAll(opts.addrs);
  const clusterPort = await freePortOnAll(opts.addrs);
  const joinPort = await freePortOnAll(opts.addrs);
  const hosts: LoopbackHost[] = opts.addrs.map((addr, i) => {
    const name = opts.names[i]!;
    return { name, addr, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
  });
  const start = async (host: LoopbackHost, deadlineMs?: number): Promise<void> => {
    host.daemon = spawnDaemon([
      '--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', host.name,
      '--nats-port', String(natsPort), '--nats-cluster-port', String(clusterPort), ...(opts.daemonArgs ?? []), ...(opts.hostArgs?.(host) ?? []),
    ], opts.daemonEnv ? { env: { ...process.env, ...opts.daemonEnv } } : {});
    await waitUntilServing(host.daemon, host.socket, deadlineMs);
  };
  const cli = (host: LoopbackHost, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
  const ok = async (host: LoopbackHost, ...args: string[]): Promise<string> => {
    const run = await cli(host, ...args);
    if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${host.name} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const cluster: LoopbackCluster = {
    dir,
    hosts,
    joinPort,
    natsClusterPort: clusterPort,
    start,
    cli,
    ok,
    async leaderOf(host) {
      const run = await cli(host, 'node', 'ls');
      if (run.code !== 0) return undefined;
      const line = run.stdout.split('\n').find((l) => /\sLeader(\s|$)/.test(l));
      return line?.split(/\s+/)[0]!.replace('*', '');
    },
    async stop() {
      const docker = new Docker({ socketPath: '/var/run/docker.sock' });
      for (const host of hosts) {
        // For a failed run: FLOTILLA_E2E_LOGS=<dir> keeps each daemon's log lines.
        if (process.env.FLOTILLA_E2E_LOGS && host.daemon) await writeFile(join(process.env.FLOTILLA_E2E_LOGS, `${host.name}.log`), host.daemon.stderr());
        if (host.daemon) {
          host.daemon.child.kill('SIGTERM');
          await host.daemon.exited;
        }
        await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
      }
      for (const host of hosts) {
        if (!host.nodeId) continue;
        for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${host.nodeId}`] } })) {
          await docker.getContainer(c.Id).remove({ force: true });
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const host of hosts) await start(host);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
