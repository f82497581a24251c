// Plugins end to end (issue 17): two managers and a worker (real flotillad on 127.0.6.1-3, real
// nats-server, real Raft), the real CLI with real standard input, and the shipped example
// plugins built from source (examples/plugins/build.sh) and run as real containers of the real
// Docker Engine from their imported rootfs, spoken to over their unix sockets.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { CLI_MAIN, REPO_ROOT, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.6.1', '127.0.6.2', '127.0.6.3'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const LOCAL_IMAGE = 'flotilla-test/no-remove-plugin:e2e';

let cluster: LoopbackCluster;
let m1: LoopbackHost;
let m2: LoopbackHost;
let w3: LoopbackHost;
let built: string;
let volumes: string;

const ok = (host: LoopbackHost, ...args: string[]) => cluster.ok(host, ...args);
const cli = (host: LoopbackHost, ...args: string[]) => cluster.cli(host, ...args);

/** The CLI with `input` on its standard input (undefined: a pipe closed at once, no input at all). */
function cliWithInput(host: LoopbackHost, input: string | undefined, ...args: string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, '-H', `unix://${host.socket}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const pluginNames = async (host: LoopbackHost): Promise<string[]> =>
  (await ok(host, 'plugin', 'ls'))
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[1]!);

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-plg1', 'e2e-plg2', 'e2e-plg3'], tmpPrefix: 'flotillad-plugins-', daemonArgs: ['--log-level', 'debug'] });
  [m1, m2, w3] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost];
  built = join(cluster.dir, 'built');
  volumes = join(cluster.dir, 'volumes');
  await mkdir(volumes);
  await promisify(execFile)('bash', [join(REPO_ROOT, 'examples/plugins/build.sh'), built]);
  const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${cluster.joinPort}`);
  m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const token = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
  await ok(m2, 'swarm', 'join', '--advertise-addr', m2.addr, '--token', token, `${m1.addr}:${cluster.joinPort}`);
  m2.nodeId = /NodeID: (\w+)/.exec(await ok(m2, 'info'))![1]!;
  const workerToken = (await ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
  await ok(w3, 'swarm', 'join', '--advertise-addr', w3.addr, '--token', workerToken, `${m1.addr}:${cluster.joinPort}`);
  w3.nodeId = /NodeID: (\w+)/.exec(await ok(w3, 'info'))![1]!;
}, LONG * 3);

afterAll(async () => {
  await cluster?.stop();
  // Plugin containers go with their daemon; remove any a failed run left, and the imported rootfs images.
  for (const host of cluster?.hosts ?? []) {
    if (!host.nodeId) continue;
    for (const c of await docker.listContainers({ all: true, filters: { label: [`com.flotilla.plugin.node=${host.nodeId}`] } })) await docker.getContainer(c.Id).remove({ force: true });
  }
  for (const image of await docker.listImages({ filters: { reference: ['flotilla-plugin-rootfs', LOCAL_IMAGE] } })) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
}, LONG);

describe('plugin install asks before granting', () => {
  const localDir = () => join(built, 'local-dir');
  const settings = () => [`volumes.source=${volumes}`];

  it('answered n, or with no input at all, installs nothing', async () => {
    for (const input of ['n\n', undefined, 'yes please\n']) {
      const run = await cliWithInput(m1, input, 'plugin', 'install', localDir(), ...settings());
      expect(run.stdout).toBe(`Plugin "local-dir:latest" is requesting the following privileges:\n - mount: [${volumes}]\nDo you grant the above permissions? [y/N] ${input === undefined ? '\n' : ''}`);
      expect(run.stderr).toBe('flotilla: permission denied while installing plugin local-dir:latest\n');
      expect(run.code).toBe(1);
    }
    expect(await pluginNames(m1)).toEqual([]);
  });

  it('answered y installs and enables it; --grant-all-permissions installs without asking', async () => {
    const run = await cliWithInput(m1, 'y\n', 'plugin', 'install', localDir(), ...settings());
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Do you grant the above permissions\? \[y\/N\] Installed plugin local-dir:latest\n$/);
    const quiet = await cliWithInput(m1, undefined, 'plugin', 'install', '--grant-all-permissions', '--disable', '--alias', 'local-dir-b', localDir(), ...settings());
    expect(quiet).toMatchObject({ code: 0, stdout: 'Installed plugin local-dir-b:latest\n', stderr: '' });
    const ls = (await ok(m2, 'plugin', 'ls')).split('\n');
    expect(ls[0]).toMatch(/^ID\s+NAME\s+DESCRIPTION\s+ENABLED$/);
    expect(ls.slice(1).filter(Boolean).map((l) => [l.split(/\s+/)[1], l.split(/\s+/).pop()])).toEqual([
      ['local-dir-b:latest', 'false'],
      ['local-dir:latest', 'true'],
    ]);
    expect(await ok(m2, 'plugin', 'inspect', '--format', '{{.Enabled}} {{json .Privileges}}', 'local-dir')).toBe(
      `true [{"Name":"mount","Description":"host path to mount","Value":["${volumes}"]}]\n`,
    );
    expect(await ok(m1, 'plugin', 'rm', 'local-dir-b')).toBe('local-dir-b\n');
  });
});

describe('no-remove on every manager', () => {
  it('an enabled no-remove denies service rm on both managers with its message; plugin rm without -f is refused', async () => {
    await ok(m1, 'service', 'create', '--name', 'keep', IMAGE, 'sleep', '3600');
    expect(await ok(m1, 'plugin', 'install', join(built, 'no-remove'))).toBe('Installed plugin no-remove:latest\n');
    // A manager enforces a plugin once it has applied the enable (Raft: moments after the leader).
    await waitFor('m2 to apply the enable', async () => ((await ok(m2, 'plugin', 'inspect', '--format', '{{.Enabled}}', 'no-remove')) === 'true\n' ? true : undefined));
    for (const host of [m1, m2]) {
      const run = await cli(host, 'service', 'rm', 'keep');
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('flotilla: authorization denied by plugin no-remove:latest: removing services is not allowed on this cluster (no-remove plugin)\n');
    }
    // Everything else goes through, and the service is still there.
    expect(await ok(m2, 'service', 'ls', '-q')).not.toBe('');
    const rm = await cli(m1, 'plugin', 'rm', 'no-remove');
    expect(rm.code).toBe(1);
    expect(rm.stderr).toBe('flotilla: plugin no-remove:latest is enabled: disable it first, or use -f to remove it anyway\n');
  });

  it('disabled, it allows service rm again', async () => {
    expect(await ok(m2, 'plugin', 'disable', 'no-remove')).toBe('no-remove\n');
    expect(await ok(m2, 'service', 'rm', 'keep')).toBe('keep\n');
    expect(await ok(m1, 'plugin', 'rm', 'no-remove')).toBe('no-remove\n');
  });
});

describe('a plugin from a local image', () => {
  it('installs from an image holding /config.json, runs from that image and enforces', async () => {
    // The image: the no-remove rootfs with its config.json at the root, imported without a registry.
    const image = join(cluster.dir, 'image');
    await cp(join(built, 'no-remove', 'rootfs'), image, { recursive: true });
    await cp(join(built, 'no-remove', 'config.json'), join(image, 'config.json'));
    await promisify(execFile)('sh', ['-c', `tar -C ${image} -c . | docker import - ${LOCAL_IMAGE}`]);
    expect(await ok(m1, 'plugin', 'install', '--alias', 'imaged', LOCAL_IMAGE)).toBe('Installed plugin imaged:latest\n');
    expect(await ok(m1, 'plugin', 'inspect', '--format', '{{.Image}} {{.RootfsSize}}', 'imaged')).toBe(`${LOCAL_IMAGE} 0\n`);
    await ok(m1, 'service', 'create', '--detach', '--name', 'kept', IMAGE, 'sleep', '3600');
    const run = await cli(m1, 'service', 'rm', 'kept');
    expect(run).toMatchObject({ code: 1, stderr: 'flotilla: authorization denied by plugin imaged:latest: removing services is not allowed on this cluster (no-remove plugin)\n' });
    await ok(m1, 'plugin', 'rm', '-f', 'imaged');
    await ok(m1, 'service', 'rm', 'kept');
    const missing = await cli(m1, 'plugin', 'install', 'flotilla-test/not-here:1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the plugin config of image flotilla-test/not-here:1: image flotilla-test/not-here:1 is not on this node');
  });
});

describe('a crashing authorization plugin', () => {
  it('fails closed, naming the plugin, and can still be disabled from the local socket', async () => {
    expect(await ok(m1, 'plugin', 'install', join(built, 'crash-authz'))).toBe('Installed plugin crash-authz:latest\n');
    for (const host of [m1, m2]) {
      const run = await waitFor(`${host.name} to enforce crash-authz`, async () => {
        const r = await cli(host, 'service', 'ls');
        return r.code !== 0 ? r : undefined;
      });
      expect(run.stderr).toMatch(/^flotilla: authorization plugin crash-authz:latest failed, so the call is denied: plugin crash-authz:latest failed AuthZPlugin\.AuthZReq: .+\n$/);
    }
    expect(await ok(m2, 'plugin', 'disable', 'crash-authz')).toBe('crash-authz\n');
    await waitFor('m1 to apply the disable', async () => ((await cli(m1, 'service', 'ls', '-q')).code === 0 ? true : undefined));
    await ok(m1, 'plugin', 'rm', 'crash-authz');
  });
});

describe('plugin upgrade', () => {
  it('asks again when the new version needs more than was granted, and refuses without a yes', async () => {
    const v2 = join(cluster.dir, 'no-remove-v2');
    await cp(join(built, 'no-remove'), v2, { recursive: true });
    const config = JSON.parse(await readFile(join(v2, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(v2, 'config.json'), JSON.stringify({ ...config, network: { type: 'host' }, linux: { capabilities: ['CAP_NET_ADMIN'] } }));
    await ok(m1, 'plugin', 'install', '--disable', '--alias', 'guard', join(built, 'no-remove'));

    const refused = await cliWithInput(m1, 'n\n', 'plugin', 'upgrade', 'guard', v2);
    expect(refused.stdout).toContain('It now asks for more than was granted:\n - network: [host]\n - capabilities: [CAP_NET_ADMIN]\n');
    expect(refused.stdout).toContain('Do you grant the above permissions? [y/N] ');
    expect(refused).toMatchObject({ code: 1, stderr: 'flotilla: permission denied while upgrading plugin guard:latest\n' });
    expect(await ok(m2, 'plugin', 'inspect', '--format', '{{json .Privileges}} {{.Config.network.type}}', 'guard')).toBe('[] none\n');

    const granted = await cliWithInput(m1, 'y\n', 'plugin', 'upgrade', 'guard', v2);
    expect(granted).toMatchObject({ code: 0, stderr: '' });
    expect(granted.stdout).toMatch(/Upgraded plugin guard:latest to .*no-remove-v2\n$/);
    expect(await ok(m2, 'plugin', 'inspect', '--format', '{{.Config.network.type}}', 'guard')).toBe('host\n');
    expect(JSON.parse(await ok(m2, 'plugin', 'inspect', '--format', '{{json .Privileges}}', 'guard'))).toEqual([
      { Name: 'network', Description: 'permissions to access a network', Value: ['host'] },
      { Name: 'capabilities', Description: 'list of additional capabilities required', Value: ['CAP_NET_ADMIN'] },
    ]);
    await ok(m1, 'plugin', 'rm', 'guard');
  });
});

describe('local-dir volumes', () => {
  it('a service writes into its local-dir volume, and the file survives a task restart on the same node', async () => {
    await ok(m1, 'service', 'create', '--name', 'writer', '--constraint', 'node.hostname==e2e-plg1',
      '--mount', 'type=volume,source=v1,target=/data,volume-driver=local-dir', IMAGE, 'sh', '-c', 'date >> /data/log; sleep 3600');
    const log = join(volumes, 'v1', 'log');
    await waitFor('the first task to write its line', async () => ((await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length === 1 ? true : undefined), LONG);
    const first = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${m1.nodeId}`], name: ['writer.'] } });
    expect(first).toHaveLength(1);
    await docker.getContainer(first[0]!.Id).kill();
    await waitFor('the replacement task to append to the same file', async () => ((await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length === 2 ? true : undefined), LONG);
    await ok(m1, 'service', 'rm', 'writer');
  }, LONG * 2);

  it('on a worker the plugin comes from the dispatcher and runs there', async () => {
    await ok(m1, 'service', 'create', '--name', 'far', '--constraint', 'node.hostname==e2e-plg3',
      '--mount', 'type=volume,source=v3,target=/data,volume-driver=local-dir', IMAGE, 'sh', '-c', 'echo from-worker > /data/hello; sleep 3600');
    expect(await waitFor('the worker task to write', async () => (await readFile(join(volumes, 'v3', 'hello'), 'utf8').catch(() => '')) || undefined, LONG)).toBe('from-worker\n');
    const workerPlugins = await docker.listContainers({ filters: { label: [`com.flotilla.plugin.node=${w3.nodeId}`] } });
    expect(workerPlugins.map((c) => c.Labels['com.flotilla.plugin.name'])).toEqual(['local-dir:latest']);
    await ok(m1, 'service', 'rm', 'far');
  }, LONG * 2);

  it('a volume the plugin refuses fails the task with the plugin\'s error', async () => {
    await ok(m1, 'service', 'create', '--detach', '--name', 'refused', '--mount', 'type=volume,source=v2,target=/data,volume-driver=local-dir,volume-opt=size=1G', IMAGE, 'sleep', '3600');
    const error = await waitFor('the task to fail', async () => {
      const ps = await ok(m1, 'service', 'ps', '--no-trunc', 'refused');
      return /unknown option/.test(ps) ? ps : undefined;
    }, LONG);
    expect(error).toContain('volume v2 (driver local-dir): plugin local-dir:latest failed VolumeDriver.Create: local-dir: unknown option "size"');
    await ok(m1, 'service', 'rm', 'refused');
  }, LONG * 2);
});
