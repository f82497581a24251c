// One flotillad on a loopback address, initialised as a single-node swarm, driven through the
// real CLI and Control API; containers run in the local Docker Engine. stop() kills the daemon,
// its nats-server and every container it started, and removes its directory, even after a failure.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ControlClient, type ListTasksResponse } from '@flotilla/api';
import pino from 'pino';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from './processes.js';
import { waitFor } from './wait.js';

export interface SingleNodeSwarm {
  nodeId: string;
  socket: string;
  docker: Docker;
  cli(...args: string[]): Promise<Finished>;
  /** The CLI's stdout; throws with its stderr when it exits non-zero. */
  ok(...args: string[]): Promise<string>;
  /** A service's tasks as the Control API answers (the CLI has no task inspect). */
  listTasks(service: string): Promise<ListTasksResponse>;
  /** Every container (running or not) this node started for the service. */
  containersOf(service: string): Promise<Docker.ContainerInspectInfo[]>;
  stop(): Promise<void>;
}

export async function startSingleNodeSwarm(o: { addr: string; name: string; timeoutMs: number }): Promise<SingleNodeSwarm> {
  const dir = await mkdtemp(join(tmpdir(), `flotillad-e2e-${o.name}-`));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'ctl.sock');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let daemon: DaemonProcess | undefined;
  let nodeId = '';
  const cli = (...args: string[]): Promise<Finished> => runCli(['-H', `unix://${socket}`, ...args]);
  const ok = async (...args: string[]): Promise<string> => {
    const run = await cli(...args);
    if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const stop = async (): Promise<void> => {
    if (daemon) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    await killStaleNatsServer(join(dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    if (nodeId) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${nodeId}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true });
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    daemon = spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, '--node-name', `e2e-${o.name}-1`, '--nats-port', '0', '--nats-cluster-port', '0']);
    await waitUntilServing(daemon, socket);
    const out = await ok('swarm', 'init', '--advertise-addr', o.addr, '--listen-addr', `${o.addr}:0`);
    nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    await waitFor('the node to be Ready', async () => ((await ok('node', 'ls')).includes('Ready') ? true : undefined), o.timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodeId,
    socket,
    docker,
    cli,
    ok,
    stop,
    listTasks: (service) => {
      const client = new ControlClient(`unix://${socket}`, credentials.createInsecure());
      return new Promise<ListTasksResponse>((resolve, reject) => {
        client.listTasks({ service, desiredStates: [] }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
      }).finally(() => client.close());
    },
    containersOf: async (service) => {
      const list = await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${nodeId}`, `io.flotilla.service.name=${service}`] } });
      return Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
    },
  };
}
