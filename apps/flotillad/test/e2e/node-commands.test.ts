// node ps / node rm end to end: a real flotillad, the real CLI and real containers in the local
// Docker Engine (flotilla/busybox:latest, never pulled). A single-manager swarm runs a 2-replica
// service; `node ps` lists its tasks on self, `node rm` refuses the manager and unknown nodes.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.51';
const HOSTNAME = 'e2e-nodes-1';
const IMAGE = 'flotilla/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const LONG = 60_000;

let dir: string;
let dataDir: string;
let socket: string;
let daemon: DaemonProcess | undefined;
let nodeId = '';

async function cli(...args: string[]): Promise<Finished> {
  return runCli(['-H', `unix://${socket}`, ...args]);
}

async function ok(...args: string[]): Promise<string> {
  const run = await cli(...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-nodes-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  daemon = spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, '--node-name', HOSTNAME, '--nats-port', '0', '--nats-cluster-port', '0']);
  await waitUntilServing(daemon, socket);
  const out = await ok('swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:0`);
  nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  await waitFor('the node to be Ready', async () => ((await ok('node', 'ls')).includes('Ready') ? true : undefined), LONG);
}, LONG * 2);

afterAll(async () => {
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
}, LONG);

describe('node ps', () => {
  it('lists the tasks of a 2-replica service on self, with the service ps columns', async () => {
    await ok('service', 'create', '--name', 'web', '--replicas', '2', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    const serviceTaskIds = lines(await ok('service', 'ps', '-q', 'web')).sort();
    expect(serviceTaskIds).toHaveLength(2);

    const table = lines(await ok('node', 'ps'));
    expect(table[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(1, 5))).toEqual([
      ['web.1', IMAGE, HOSTNAME, 'Running'],
      ['web.2', IMAGE, HOSTNAME, 'Running'],
    ]);
    expect(table.slice(1).every((l) => / Running .+ ago/.test(l))).toBe(true);

    // Naming the node by id, by "self" or by hostname lists the same tasks; -q prints ids only.
    expect(lines(await ok('node', 'ps', '-q', 'self')).sort()).toEqual(serviceTaskIds);
    expect(lines(await ok('node', 'ps', '-q', HOSTNAME)).sort()).toEqual(serviceTaskIds);
    const full = lines(await ok('node', 'ps', '-q', '--no-trunc', nodeId)).sort();
    expect(full.map((id) => id.slice(0, 12))).toEqual(serviceTaskIds);
    expect(full.every((id) => id.length > 12)).toBe(true);
    expect(lines(await ok('node', 'ps', '-q', '--filter', 'desired-state=running')).sort()).toEqual(serviceTaskIds);
    expect(lines(await ok('node', 'ps', '-q', '--filter', 'desired-state=shutdown'))).toEqual([]);
  }, LONG * 2);

  it('refuses an unknown node', async () => {
    const run = await cli('node', 'ps', 'no-such-host');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no such node: no-such-host');
  });
});

describe('node rm', () => {
  it('refuses to remove self, a manager, and changes nothing', async () => {
    for (const args of [['node', 'rm', 'self'], ['node', 'rm', '--force', nodeId]]) {
      const run = await cli(...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`node ${HOSTNAME} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`);
    }
    expect(await ok('node', 'ls', '-q')).toBe(`${nodeId}\n`);
    expect(lines(await ok('node', 'ps', '-q'))).toHaveLength(2);
  });

  it('says "no such node" for a node that does not exist', async () => {
    const run = await cli('node', 'rm', 'ghost-node');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no such node: ghost-node');
  });
});
