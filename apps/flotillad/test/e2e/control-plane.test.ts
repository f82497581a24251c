// The control plane end to end: real flotillad processes, the real CLI, a real nats-server,
// real Raft WAL on disk and real containers in the local Docker Engine (image
// flotilla/busybox:latest, never pulled). Nothing is mocked.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.21';
const IMAGE = 'flotilla/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const LONG = 60_000;

let dir: string;
let dataDir: string;
let socket: string;
let daemon: DaemonProcess | undefined;
let nodeId = '';

async function startDaemon(): Promise<DaemonProcess> {
  const d = spawnDaemon([
    '--data-dir', dataDir,
    '--control-socket', socket,
    '--node-name', 'e2e-cp-1',
    '--nats-port', '0',
    '--nats-cluster-port', '0',
    '--log-level', 'debug',
  ]);
  await waitUntilServing(d, socket);
  return d;
}

async function cli(...args: string[]): Promise<Finished> {
  return runCli(['-H', `unix://${socket}`, ...args]);
}

/** Runs the CLI and insists it succeeded, showing its stderr if not. */
async function ok(...args: string[]): Promise<string> {
  const run = await cli(...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function serviceContainers(service: string, running = true) {
  return docker.listContainers({
    all: !running,
    filters: { label: [`io.flotilla.node.id=${nodeId}`, `io.flotilla.service.name=${service}`], ...(running ? { status: ['running'] } : {}) },
  });
}

async function waitForRunning(service: string, count: number): Promise<string[]> {
  return waitFor(
    `${count} running containers of ${service}`,
    async () => {
      const list = await serviceContainers(service);
      return list.length === count ? list.map((c) => c.Id).sort() : undefined;
    },
    LONG,
  );
}

async function stopDaemon(signal: NodeJS.Signals): Promise<void> {
  if (!daemon) return;
  const d = daemon;
  daemon = undefined;
  d.child.kill(signal);
  await d.exited;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  daemon = await startDaemon();
});

afterAll(async () => {
  await stopDaemon('SIGTERM');
  // A SIGKILLed flotillad cannot stop its nats-server; end the one using this data dir's config.
  await killStaleNatsServer(join(dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
  if (nodeId) {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${nodeId}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('a one-node swarm from the CLI', () => {
  it('refuses service and node commands before swarm init', async () => {
    for (const args of [['service', 'ls'], ['node', 'ls']]) {
      const run = await cli(...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'flotilla: this node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again.\n',
      );
    }
  });

  it('initialises: this node is a Ready leader and a join command is printed', async () => {
    const out = await ok('swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:0`);
    const match = /^Swarm initialized: current node \((\w+)\) is now a manager\.\n\nTo add a worker to this swarm, run the following command:\n\n {4}flotilla swarm join --token (SWMTKN-1-\w+-\w+) 127\.0\.0\.21:\d+\n/.exec(out);
    expect(match, out).not.toBeNull();
    nodeId = match![1]!;
    expect((await ok('swarm', 'join-token', '-q', 'worker')).trim()).toBe(match![2]);
    const rotated = await ok('swarm', 'join-token', '--rotate', 'worker');
    expect(rotated).toMatch(/^Successfully rotated worker join token\.\n\nTo add a worker to this swarm, run the following command:\n\n {4}flotilla swarm join --token SWMTKN-1-\w+-\w+ 127\.0\.0\.21:\d+\n\n$/);
    const newToken = (await ok('swarm', 'join-token', '-q', 'worker')).trim();
    expect(newToken).not.toBe(match![2]);
    expect(rotated).toContain(newToken);
    // the CA digest part stays, only the secret changes; the manager token is untouched
    expect(newToken.slice(0, -25)).toBe(match![2]!.slice(0, -25));
    await waitFor('the node to be Ready', async () => ((await ok('node', 'ls')).includes(`${nodeId} *`) && (await ok('node', 'ls')).includes('Ready') ? true : undefined), LONG);
    const table = await ok('node', 'ls');
    expect(table.split('\n')[0]).toBe('ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION');
    expect(table).toMatch(new RegExp(`^${nodeId} \\*\\s+e2e-cp-1\\s+Ready\\s+Active\\s+Leader\\s+\\d`, 'm'));
    expect(await ok('info')).toContain('Swarm: active');
    const again = await cli('swarm', 'init', '--advertise-addr', ADDR);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already part of a swarm/);
  });

  it('updates node labels and availability, refusing a label it does not have', async () => {
    expect(await ok('node', 'update', '--label-add', 'disk=ssd', '--availability', 'pause', 'e2e-cp-1')).toBe(`${nodeId}\n`);
    const pretty = await ok('node', 'inspect', '--pretty', 'self');
    expect(pretty).toContain(' - disk=ssd\n');
    expect(pretty).toContain(' Availability: Pause\n');
    const json = JSON.parse(await ok('node', 'inspect', nodeId)) as Array<{ ID: string; Spec: { Labels: Record<string, string>; Role: string; Availability: string } }>;
    expect(json[0]).toMatchObject({ ID: nodeId, Spec: { Labels: { disk: 'ssd' }, Role: 'manager', Availability: 'pause' } });
    expect(await ok('node', 'inspect', '--format', '{{.Description.Hostname}} {{.Status.State}} {{.ManagerStatus.Leader}}', 'self')).toBe('e2e-cp-1 ready true\n');
    const both = await cli('node', 'inspect', '--pretty', '--format', '{{.ID}}', 'self');
    expect([both.code, both.stderr]).toEqual([2, 'flotilla: --format is incompatible with human friendly format\n']);
    const missing = await cli('node', 'update', '--label-rm', 'nope', nodeId);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("flotilla: key nope doesn't exist in node's labels\n");
    await ok('node', 'update', '--label-rm', 'disk', '--availability', 'active', nodeId);
    expect(await ok('node', 'ls')).toMatch(new RegExp(`^${nodeId} \\*\\s+e2e-cp-1\\s+Ready\\s+Active\\s`, 'm'));
  });

  it('creates 3 replicas: 3 real containers run and service ls shows 3/3', async () => {
    const out = await ok('service', 'create', '--replicas', '3', '--name', 'web', IMAGE, 'sleep', '1000');
    expect(out).toMatch(/^\w{25}\n/);
    expect(out).toContain('overall progress: 3 out of 3 tasks');
    expect(out).toContain('verify: Service converged');
    const ids = await waitForRunning('web', 3);
    for (const id of ids) {
      const info = await docker.getContainer(id).inspect();
      expect(info.Config.Image).toBe(IMAGE);
      expect(info.Config.Cmd).toEqual(['sleep', '1000']);
    }
    expect(await ok('service', 'ls')).toMatch(/^\w{12}\s+web\s+replicated\s+3\/3\s+flotilla\/busybox:latest$/m);
    // inspect in the Engine API's shape, --format over it
    const [svc] = JSON.parse(await ok('service', 'inspect', 'web')) as Array<Record<string, unknown>>;
    expect(Object.keys(svc!)).toEqual(['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Spec', 'Endpoint']);
    expect(await ok('service', 'inspect', '--format', '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}} {{.Spec.TaskTemplate.ContainerSpec.Image}} {{join .Spec.TaskTemplate.ContainerSpec.Args " "}}', 'web')).toBe(
      `web 3 ${IMAGE} sleep 1000\n`,
    );
    const missing = await cli('service', 'inspect', '--format', '{{.Spec.Nope}}', 'web');
    expect([missing.code, missing.stderr]).toEqual([1, 'flotilla: template parsing error: template: :1:7: executing "" at <.Spec.Nope>: map has no entry for key "Nope"\n']);
    const ps = await ok('service', 'ps', 'web');
    expect(ps.split('\n')[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
    for (const slot of [1, 2, 3]) expect(ps).toMatch(new RegExp(`^\\w{12}\\s+web\\.${slot}\\s+flotilla/busybox:latest\\s+e2e-cp-1\\s+Running\\s+Running .* ago`, 'm'));
  });

  it('filters and formats lists as docker does: --filter keys, --format templates and tables, --no-resolve', async () => {
    expect(await ok('service', 'ls', '--filter', 'name=we', '--filter', 'mode=replicated', '--format', '{{.Name}} {{.Replicas}} {{.Mode | upper}}')).toBe('web 3/3 REPLICATED\n');
    expect(await ok('service', 'ls', '--filter', 'mode=global', '-q')).toBe('');
    const bad = await cli('service', 'ls', '--filter', 'node=x');
    expect([bad.code, bad.stderr]).toEqual([1, "flotilla: invalid filter 'node'\n"]);
    expect(await ok('service', 'ls', '--format', 'table {{.Name}}\t{{.Ports}}')).toBe('NAME      PORTS\nweb\n');
    const json = JSON.parse(await ok('service', 'ls', '--format', '{{json .}}')) as Record<string, string>;
    expect(Object.keys(json)).toEqual(['ID', 'Image', 'Mode', 'Name', 'Ports', 'Replicas']);
    expect(json).toMatchObject({ Name: 'web', Image: IMAGE, Replicas: '3/3' });
    expect(await ok('service', 'ps', '--filter', 'name=web.2', '--filter', 'node=e2e-cp-1', '--format', '{{.Name}} {{.Node}} {{.DesiredState}}', 'web')).toBe('web.2 e2e-cp-1 Running\n');
    const ids = await ok('service', 'ps', '--no-resolve', '--format', '{{.Name}} {{.Node}}', 'web');
    expect(ids).toMatch(new RegExp(`^(\\w{25}\\.[123] ${nodeId}\\n){3}$`));
    expect(await ok('node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}} {{.Self}} {{.ManagerStatus}}')).toBe('e2e-cp-1 true Leader\n');
    expect(await ok('node', 'ls', '--filter', 'role=worker', '-q')).toBe('');
    expect(await ok('node', 'ps', '--filter', 'desired-state=running', '--format', '{{range $i, $p := split .Name "."}}{{if eq $i 0}}{{$p}}{{end}}{{end}}')).toBe('web\nweb\nweb\n');
    const parse = await cli('node', 'ls', '--format', '{{.Hostname');
    expect([parse.code, parse.stderr]).toEqual([1, 'flotilla: template parsing error: template: :1: unclosed action\n']);
  });

  it('refuses a taken name and a bad constraint, creating nothing', async () => {
    const taken = await cli('service', 'create', '--detach', '--name', 'web', IMAGE);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('flotilla: name conflicts with an existing object: service web already exists\n');
    const bad = await cli('service', 'create', '--detach', '--name', 'other', '--constraint', 'node.foo=bar', IMAGE);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('flotilla: constraint "node.foo=bar" must use == or !=\n');
    expect((await ok('service', 'ls', '-q')).trim().split('\n')).toHaveLength(1);
    const unknown = await cli('service', 'ps', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('flotilla: service nope not found\n');
  });

  it('stops waiting with the reason when a task is rejected (image not on the node, never pulled)', async () => {
    const run = await cli('service', 'create', '--name', 'ghost', '--restart-condition', 'none', 'flotilla/does-not-exist:1');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'flotilla: task ghost.1 was rejected: image flotilla/does-not-exist:1 not found on this node (Flotilla never pulls; load it with docker load)\n',
    );
    const ps = await ok('service', 'ps', 'ghost');
    expect(ps).toMatch(/ghost\.1 .*Rejected .* ago\s+"image flotilla\/does-not-exist:1 not.*…"$/m);
    expect(await ok('service', 'ps', '--no-trunc', 'ghost')).toContain('"image flotilla/does-not-exist:1 not found on this node (Flotilla never pulls; load it with docker load)"');
    expect(await ok('service', 'rm', 'ghost')).toBe('ghost\n');
  });

  it("shows a pending task's reason in service ps ERROR, as docker does", async () => {
    await ok('service', 'create', '--detach', '--name', 'huge', '--reserve-memory', '1000G', IMAGE, 'sleep', '1000');
    const ps = await waitFor('huge.1 pending with a reason', async () => {
      const out = await ok('service', 'ps', '--no-trunc', '--format', '{{.CurrentState}}|{{.Error}}', 'huge');
      return /^Pending .*\|"no suitable node \(.+\)"\n$/.test(out) ? out : undefined;
    }, LONG);
    expect(ps).toMatch(/insufficient resources/);
    expect(await ok('service', 'rm', 'huge')).toBe('huge\n');
  });

  it('scales up to 5 and down to 2', async () => {
    expect(await ok('service', 'scale', 'web=5')).toContain('web scaled to 5\n');
    await waitForRunning('web', 5);
    expect(await ok('service', 'ls')).toMatch(/\s5\/5\s/);
    expect(await ok('service', 'scale', 'web=2')).toContain('verify: Service converged');
    await waitForRunning('web', 2);
    expect(await ok('service', 'ps', '--filter', 'desired-state=running', 'web')).toMatch(/^(?:(?!web\.[345]).)*$/s);
  });

  it('replaces a container killed behind its back', async () => {
    const before = await waitForRunning('web', 2);
    await docker.getContainer(before[0]!).kill();
    await waitFor(
      'a replacement container',
      async () => {
        const now = (await serviceContainers('web')).map((c) => c.Id);
        return now.length === 2 && !now.includes(before[0]!) ? true : undefined;
      },
      LONG,
    );
    expect(await ok('service', 'ps', 'web')).toContain('"task: non-zero exit (137)"');
  });

  it('comes back after SIGKILL from its data dir: service still listed, containers re-adopted, not duplicated', async () => {
    const before = await waitForRunning('web', 2);
    await stopDaemon('SIGKILL');
    daemon = await startDaemon();
    await waitFor('web listed as 2/2 again', async () => ((await cli('service', 'ls')).stdout.match(/\sweb\s+replicated\s+2\/2\s/) ? true : undefined), LONG);
    expect((await ok('node', 'ls'))).toMatch(new RegExp(`^${nodeId} \\*`, 'm'));
    // Same containers, and no second set started next to them.
    expect((await serviceContainers('web')).map((c) => c.Id).sort()).toEqual(before);
  });

  it('removes the service and its containers', async () => {
    expect(await ok('service', 'rm', 'web')).toBe('web\n');
    await waitFor('web containers gone', async () => ((await serviceContainers('web', false)).length === 0 ? true : undefined), LONG);
    expect(await ok('service', 'ls')).toBe('ID        NAME      MODE      REPLICAS   IMAGE     PORTS\n');
  });

  it('leaves only with --force as the sole manager', async () => {
    const refused = await cli('swarm', 'leave');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Removing the last manager erases all current state of the swarm\. Use `--force`/);
    expect(await ok('swarm', 'leave', '--force')).toBe('Node left the swarm.\n');
    expect((await cli('node', 'ls')).stderr).toMatch(/not a swarm manager/);
    expect(await ok('info')).toContain('Swarm: inactive');
  });

  it('can start a new swarm after leaving: a new node id, and its agent runs tasks again', async () => {
    const out = await ok('swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:0`);
    const newId = /current node \((\w+)\)/.exec(out)![1]!;
    expect(newId).not.toBe(nodeId);
    nodeId = newId;
    expect(await ok('service', 'create', '--replicas', '1', '--name', 'again', IMAGE, 'sleep', '1000')).toContain('verify: Service converged');
    await waitForRunning('again', 1);
  });
});
