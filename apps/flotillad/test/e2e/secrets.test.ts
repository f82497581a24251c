// Secrets end to end: a manager and a worker (two real flotillad on their own loopback
// addresses), real nats-server, real Docker, real tmpfs mounts (flotillad runs as root here, as
// in production). A service placed on the manager reads its secret at /run/secrets/<target>;
// the value is nowhere in either data dir (Raft WAL and snapshots included) nor in any log, the
// worker never receives it, and the secret cannot be removed while the service uses it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { pickFreePort } from '@flotilla/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { CLI_MAIN, runCli, runToEnd, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const MANAGER_ADDR = '127.0.0.100';
const WORKER_ADDR = '127.0.0.101';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const SECRETS_ROOT = '/run/flotilla/secrets';
const VALUE = `s3cr3t-${randomBytes(16).toString('hex')}`;
const VALUE2 = `api-${randomBytes(16).toString('hex')}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

interface Host {
  name: string;
  dataDir: string;
  socket: string;
  daemon?: DaemonProcess;
  nodeId: string;
}

let dir: string;
let natsPort: number;
const hosts: Host[] = [];
const manager = () => hosts[0]!;
const worker = () => hosts[1]!;

const cli = (host: Host, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
async function ok(host: Host, ...args: string[]): Promise<string> {
  const run = await cli(host, ...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${host.name} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

/** The CLI with the value on its standard input (`secret create NAME -`). */
function cliWithStdin(host: Host, input: string, ...args: string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, '-H', `unix://${host.socket}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Every file under `root` whose bytes contain `needle`. */
async function filesContaining(root: string, needle: Buffer): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path).catch(() => Buffer.alloc(0))).includes(needle)) found.push(path);
  }
  return found;
}

const mounts = async (): Promise<string> => readFile('/proc/mounts', 'utf8');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-secrets-'));
  natsPort = await pickFreePort(MANAGER_ADDR);
  for (const name of ['e2e-sec-mgr', 'e2e-sec-wrk']) {
    const host: Host = { name, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
    hosts.push(host);
    host.daemon = spawnDaemon(['--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', name, '--nats-port', String(natsPort), '--nats-cluster-port', '0', '--log-level', 'debug']);
    await waitUntilServing(host.daemon, host.socket);
  }
  const out = await ok(manager(), 'swarm', 'init', '--advertise-addr', MANAGER_ADDR, '--listen-addr', `${MANAGER_ADDR}:0`);
  manager().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const joinArgs = /flotilla swarm join (--token \S+ \S+)\n/.exec(out)![1]!.split(' ');
  await ok(worker(), 'swarm', 'join', '--advertise-addr', WORKER_ADDR, ...joinArgs);
  worker().nodeId = /NodeID: (\w+)/.exec(await ok(worker(), 'info'))![1]!;
  await waitFor('both nodes Ready', async () => ((await ok(manager(), 'node', 'ls')).match(/ Ready /g)?.length === 2 ? true : undefined), LONG);
}, LONG * 3);

afterAll(async () => {
  for (const host of hosts) {
    if (host.daemon) {
      host.daemon.child.kill('SIGTERM');
      await host.daemon.exited;
    }
    await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    if (host.nodeId) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${host.nodeId}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true });
      }
      // Unmount what a failed run may have left (only this test's nodes).
      for (const line of (await mounts()).split('\n')) {
        const at = line.split(' ')[1];
        if (at?.startsWith(join(SECRETS_ROOT, host.nodeId))) await runToEnd('umount', [at]);
      }
      await rm(join(SECRETS_ROOT, host.nodeId), { recursive: true, force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
}, LONG);

describe('secrets', () => {
  let secretId = '';
  let taskId = '';
  let containerId = '';
  let apiContainerId = '';

  it('secret create reads the value from stdin and prints the id; ls and inspect never show it', async () => {
    const created = await cliWithStdin(manager(), VALUE, 'secret', 'create', '--label', 'env=e2e', 'db_pass', '-');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    secretId = created.stdout.trim();
    expect(secretId).toMatch(/^\w{10,}$/);
    const ls = (await ok(manager(), 'secret', 'ls')).split('\n');
    expect(ls[0]).toMatch(/^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED$/);
    expect(ls[1]).toMatch(new RegExp(`^${secretId}\\s+db_pass\\s+.+ ago\\s+.+ ago$`));
    expect(await ok(manager(), 'secret', 'ls', '-q')).toBe(`${secretId}\n`);
    const inspected = JSON.parse(await ok(manager(), 'secret', 'inspect', 'db_pass')) as Array<Record<string, unknown>>;
    expect(inspected[0]).toMatchObject({ ID: secretId, Spec: { Name: 'db_pass', Labels: { env: 'e2e' } } });
    expect(await ok(manager(), 'secret', 'inspect', '--format', '{{.Spec.Name}} {{index .Spec.Labels "env"}}', secretId)).toBe('db_pass e2e\n');
    const pretty = await ok(manager(), 'secret', 'inspect', '--pretty', secretId);
    expect(pretty).toContain(`${VALUE.length} bytes`);
    for (const text of [JSON.stringify(inspected), pretty, ls.join('\n')]) expect(text).not.toContain(VALUE);
  });

  it('refuses a second secret of the same name, and a worker cannot manage secrets', async () => {
    const again = await cliWithStdin(manager(), 'other', 'secret', 'create', 'db_pass', '-');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('secret db_pass already exists');
    const fromWorker = await cli(worker(), 'secret', 'ls');
    expect(fromWorker.code).toBe(1);
    expect(fromWorker.stderr).toMatch(/this node is not a swarm manager/);
  });

  it('a service naming a missing secret is refused at create time and not created', async () => {
    const run = await cli(manager(), 'service', 'create', '--name', 'nope', '--secret', 'missing', IMAGE, 'sleep', '60');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('secret not found: missing');
    expect(await ok(manager(), 'service', 'ls', '-q')).toBe('');
  });

  it('the task reads the value at /run/secrets/<target>, mode as asked, from a tmpfs on its node', async () => {
    const out = await ok(
      manager(), 'service', 'create', '--name', 'web', '--constraint', `node.id==${manager().nodeId}`, '--stop-grace-period', '1s',
      '--secret', 'source=db_pass,target=db_pass,mode=0400', IMAGE, 'sleep', '3600',
    );
    expect(out).toContain('verify: Service converged');
    const containers = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${manager().nodeId}`, 'io.flotilla.service.name=web'], status: ['running'] } });
    expect(containers).toHaveLength(1);
    containerId = containers[0]!.Id;
    taskId = containers[0]!.Labels['io.flotilla.task.id']!;
    const cat = await runToEnd('docker', ['exec', containerId, 'cat', '/run/secrets/db_pass']);
    expect(cat.stdout).toBe(VALUE);
    expect((await runToEnd('docker', ['exec', containerId, 'stat', '-c', '%a', '/run/secrets/db_pass'])).stdout.trim()).toBe('400');
    const taskDir = join(SECRETS_ROOT, manager().nodeId, taskId);
    expect(await mounts()).toContain(` ${taskDir} tmpfs `);
  });

  it('the value is in no file of either data dir (Raft WAL and snapshots included) and in no log', async () => {
    // The same search finds the secret's name in the manager's Raft files: it is looking in the right place.
    expect((await filesContaining(join(manager().dataDir), Buffer.from('db_pass'))).some((p) => p.includes('raft'))).toBe(true);
    for (const host of hosts) {
      expect(await filesContaining(host.dataDir, Buffer.from(VALUE)), host.name).toEqual([]);
      expect(host.daemon!.stdout() + host.daemon!.stderr(), host.name).not.toContain(VALUE);
    }
    expect(manager().daemon!.stderr()).toContain('task secrets mounted on tmpfs');
    expect(manager().daemon!.stderr()).toContain('sent task secrets to its node');
  });

  it('the worker, which runs no task using it, never received it', async () => {
    expect(await stat(join(SECRETS_ROOT, worker().nodeId)).then(() => true, () => false)).toBe(false);
    expect(await mounts()).not.toContain(join(SECRETS_ROOT, worker().nodeId));
    expect(worker().daemon!.stderr()).toContain('full set of assignments'); // its log is there to search
    expect(worker().daemon!.stderr()).not.toContain('task secrets mounted');
  });

  it('secret rm is refused while the service uses it', async () => {
    const run = await cli(manager(), 'secret', 'rm', 'db_pass');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('secret db_pass is in use by service web');
    expect(await ok(manager(), 'secret', 'ls', '-q')).toBe(`${secretId}\n`);
  });

  it('a task on the worker gets its own secret (from a file) over the worker\'s session, with uid and mode', async () => {
    const file = join(dir, 'api_key.txt');
    await writeFile(file, VALUE2);
    const created = await ok(manager(), 'secret', 'create', 'api_key', file);
    expect(created.trim()).toMatch(/^\w{10,}$/);
    expect(await ok(
      manager(), 'service', 'create', '--name', 'api', '--constraint', `node.id==${worker().nodeId}`, '--stop-grace-period', '1s',
      '--secret', 'source=api_key,target=key.txt,uid=1000,gid=1000,mode=0440', IMAGE, 'sleep', '3600',
    )).toContain('verify: Service converged');
    const [c] = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${worker().nodeId}`, 'io.flotilla.service.name=api'], status: ['running'] } });
    apiContainerId = c!.Id;
    expect((await runToEnd('docker', ['exec', c!.Id, 'cat', '/run/secrets/key.txt'])).stdout).toBe(VALUE2);
    expect((await runToEnd('docker', ['exec', c!.Id, 'stat', '-c', '%u %g %a', '/run/secrets/key.txt'])).stdout.trim()).toBe('1000 1000 440');
    expect(await mounts()).toContain(` ${join(SECRETS_ROOT, worker().nodeId, c!.Labels['io.flotilla.task.id']!)} tmpfs `);
    // The manager's node holds only web's tmpfs: api_key was sent to the worker alone.
    expect(await readdir(join(SECRETS_ROOT, manager().nodeId))).toEqual([taskId]);
    for (const host of hosts) {
      expect(await filesContaining(host.dataDir, Buffer.from(VALUE2)), host.name).toEqual([]);
      expect(host.daemon!.stdout() + host.daemon!.stderr(), host.name).not.toContain(VALUE2);
    }
  }, LONG * 2);

  it('service update --secret-add gives the replacement task both files', async () => {
    await ok(manager(), 'service', 'update', '--secret-add', 'source=api_key,target=api', 'web');
    let next: Docker.ContainerInfo | undefined;
    await waitFor('the updated web task running', async () => {
      const list = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${manager().nodeId}`, 'io.flotilla.service.name=web'], status: ['running'] } });
      next = list.find((x) => x.Id !== containerId);
      return next && list.length === 1 ? true : undefined;
    }, LONG);
    expect((await runToEnd('docker', ['exec', next!.Id, 'cat', '/run/secrets/api'])).stdout).toBe(VALUE2);
    expect((await runToEnd('docker', ['exec', next!.Id, 'cat', '/run/secrets/db_pass'])).stdout).toBe(VALUE);
    const oldDir = join(SECRETS_ROOT, manager().nodeId, taskId);
    await waitFor('the replaced task\'s tmpfs unmounted', async () => ((await mounts()).includes(` ${oldDir} `) ? undefined : true), LONG);
    containerId = next!.Id;
    taskId = next!.Labels['io.flotilla.task.id']!;
  }, LONG * 2);

  it('the tmpfs goes with the task; then the secrets can be removed', async () => {
    await ok(manager(), 'service', 'rm', 'web', 'api');
    const dirs = [join(SECRETS_ROOT, manager().nodeId), join(SECRETS_ROOT, worker().nodeId)];
    for (const id of [containerId, apiContainerId]) {
      await waitFor('the task container removed', async () => ((await docker.getContainer(id).inspect().then(() => true, () => false)) ? undefined : true), LONG);
    }
    await waitFor('every secrets tmpfs of both nodes unmounted', async () => ((await mounts()).split('\n').some((l) => dirs.some((d) => l.includes(` ${d}/`))) ? undefined : true), LONG);
    expect(await ok(manager(), 'secret', 'rm', 'db_pass', 'api_key')).toBe('db_pass\napi_key\n');
    expect(await ok(manager(), 'secret', 'ls', '-q')).toBe('');
  }, LONG * 2);
});
