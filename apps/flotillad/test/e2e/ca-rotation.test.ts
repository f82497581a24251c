// Root CA rotation in real daemons (`swarm ca --rotate`): a manager and a worker on their own
// loopback addresses (real nats-server, real gRPC CA, real Docker), and a third daemon that joins
// afterwards. The swarm moves to a new root while a service keeps running; the old root, the old
// join tokens and old-root certificates stop working; a secret made before still opens.
import Docker from 'dockerode';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeRole } from '@flotilla/api';
import { BusConnectError, connectBus } from '@flotilla/bus';
import { renewNodeCertificate, splitPemCertificates } from '@flotilla/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { runToEnd } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.150', '127.0.0.151', '127.0.0.152'];
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const SECRET_VALUE = 'rotated-but-still-secret';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let cluster: LoopbackCluster;
const manager = (): LoopbackHost => cluster.hosts[0]!;
const worker = (): LoopbackHost => cluster.hosts[1]!;
const newcomer = (): LoopbackHost => cluster.hosts[2]!;
const certFile = (host: LoopbackHost, file: string) => readFile(join(host.dataDir, 'swarm', 'certificates', file), 'utf8');
const running = (host: LoopbackHost, service: string) =>
  docker.listContainers({ filters: { label: [`io.flotilla.node.id=${host.nodeId}`, `io.flotilla.service.name=${service}`], status: ['running'] } });
const nodeLine = (ls: string, host: LoopbackHost) => ls.split('\n').find((l) => l.startsWith(host.nodeId)) ?? '';

async function waitReady(hosts: LoopbackHost[]): Promise<void> {
  await waitFor(`${hosts.map((h) => h.name).join(', ')} Ready`, async () => {
    const ls = await cluster.ok(manager(), 'node', 'ls');
    return hosts.every((h) => /\sReady\s/.test(nodeLine(ls, h))) ? true : undefined;
  }, LONG);
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-rot-mgr', 'e2e-rot-wrk', 'e2e-rot-new'], tmpPrefix: 'flotillad-ca-rotation-' });
  const { joinPort } = cluster;
  const out = await cluster.ok(manager(), 'swarm', 'init', '--advertise-addr', manager().addr, '--listen-addr', `${manager().addr}:${joinPort}`);
  manager().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const joinArgs = /flotilla swarm join (--token \S+ \S+)\n/.exec(out)![1]!.split(' ');
  await cluster.ok(worker(), 'swarm', 'join', '--advertise-addr', worker().addr, ...joinArgs);
  worker().nodeId = /NodeID: (\w+)/.exec(await cluster.ok(worker(), 'info'))![1]!;
  await waitReady([manager(), worker()]);
}, LONG * 3);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('swarm ca --rotate', () => {
  const before = { rootPem: '', workerToken: '', managerToken: '', worker: { cert: '', key: '', ca: '' } };

  it('swarm ca prints the current root CA certificate', async () => {
    before.rootPem = await cluster.ok(manager(), 'swarm', 'ca');
    const shown = new X509Certificate(before.rootPem);
    expect(shown.ca).toBe(true);
    expect(shown.fingerprint256).toBe(new X509Certificate(await certFile(manager(), 'ca.crt')).fingerprint256);
    expect(before.rootPem).not.toContain('\r');
  });

  it('moves every node to a new root while a service keeps running and the worker stays Ready', async () => {
    const secretFile = join(cluster.dir, 'secret.txt');
    await writeFile(secretFile, SECRET_VALUE);
    await cluster.ok(manager(), 'secret', 'create', 'rot_pass', secretFile);
    expect(await cluster.ok(manager(), 'service', 'create', '--replicas', '2', '--name', 'steady', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600')).toContain('verify: Service converged');
    const containersBefore = new Map<string, string[]>();
    for (const host of [manager(), worker()]) {
      const ids = (await running(host, 'steady')).map((c) => c.Id).sort();
      expect(ids).toHaveLength(1);
      containersBefore.set(host.name, ids);
    }
    before.workerToken = (await cluster.ok(manager(), 'swarm', 'join-token', '-q', 'worker')).trim();
    before.managerToken = (await cluster.ok(manager(), 'swarm', 'join-token', '-q', 'manager')).trim();
    before.worker = { cert: await certFile(worker(), 'node.crt'), key: await certFile(worker(), 'node.key'), ca: await certFile(worker(), 'ca.crt') };

    // Watch the worker's state in `node ls` for as long as the rotation runs.
    const workerStates: string[] = [];
    let rotating = true;
    const watcher = (async () => {
      while (rotating) {
        const ls = await cluster.cli(manager(), 'node', 'ls');
        if (ls.code === 0) workerStates.push(/\s(Ready|Down|Unknown|Disconnected)\s/.exec(nodeLine(ls.stdout, worker()))?.[1] ?? 'missing');
      }
    })();
    const rotation = await cluster.cli(manager(), 'swarm', 'ca', '--rotate');
    rotating = false;
    await watcher;
    expect(rotation.stderr).toBe('');
    expect(rotation.code).toBe(0);
    expect(rotation.stdout).toMatch(/^desired root digest: sha256:[0-9a-f]{64}$/m);
    expect(rotation.stdout).toMatch(/rotated TLS certificates: +\[=+>\] 2\/2 nodes/);
    expect(rotation.stdout).toMatch(/rotated CA certificates: +\[=+>\] 2\/2 nodes/);
    const newRootPem = await cluster.ok(manager(), 'swarm', 'ca');
    expect(rotation.stdout.trimEnd().endsWith(newRootPem.trimEnd())).toBe(true);
    expect(newRootPem).not.toBe(before.rootPem);

    expect(workerStates.length).toBeGreaterThan(0);
    expect(workerStates.filter((s) => s !== 'Ready')).toEqual([]);
    for (const host of [manager(), worker()]) expect((await running(host, 'steady')).map((c) => c.Id).sort()).toEqual(containersBefore.get(host.name));

    // Every node's certificate now comes from the new root, which it trusts alone.
    const newRoot = new X509Certificate(newRootPem);
    for (const host of [manager(), worker()]) {
      await waitFor(`${host.name} holding a new-root certificate and trusting the new root alone`, async () => {
        const cert = new X509Certificate(await certFile(host, 'node.crt'));
        const trusted = splitPemCertificates(await certFile(host, 'ca.crt'));
        return cert.verify(newRoot.publicKey) && trusted.length === 1 && new X509Certificate(trusted[0]!).fingerprint256 === newRoot.fingerprint256 ? true : undefined;
      }, LONG);
    }
    await waitReady([manager(), worker()]);
  }, LONG * 5);

  it('the old join tokens are refused and the new ones work', async () => {
    const { joinPort } = cluster;
    const tokens = { worker: (await cluster.ok(manager(), 'swarm', 'join-token', '-q', 'worker')).trim(), manager: (await cluster.ok(manager(), 'swarm', 'join-token', '-q', 'manager')).trim() };
    expect(tokens.worker).not.toBe(before.workerToken);
    expect(tokens.manager).not.toBe(before.managerToken);
    for (const old of [before.workerToken, before.managerToken]) {
      const refused = await cluster.cli(newcomer(), 'swarm', 'join', '--advertise-addr', newcomer().addr, '--token', old, `${manager().addr}:${joinPort}`);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/invalid join token|does not match the join token/);
    }
    await cluster.ok(newcomer(), 'swarm', 'join', '--advertise-addr', newcomer().addr, '--token', tokens.worker, `${manager().addr}:${joinPort}`);
    newcomer().nodeId = /NodeID: (\w+)/.exec(await cluster.ok(newcomer(), 'info'))![1]!;
    await waitReady([newcomer()]);
    const newRoot = new X509Certificate(await cluster.ok(manager(), 'swarm', 'ca'));
    expect(new X509Certificate(await certFile(newcomer(), 'node.crt')).verify(newRoot.publicKey)).toBe(true);
  }, LONG * 3);

  it('a secret created before the rotation is delivered to a new task with its value', async () => {
    const out = await cluster.ok(
      manager(), 'service', 'create', '--name', 'reader', '--constraint', `node.id==${worker().nodeId}`, '--stop-grace-period', '1s',
      '--secret', 'source=rot_pass,target=rot_pass', IMAGE, 'sleep', '3600',
    );
    expect(out).toContain('verify: Service converged');
    const [container] = await running(worker(), 'reader');
    expect(container).toBeDefined();
    expect((await runToEnd('docker', ['exec', container!.Id, 'cat', '/run/secrets/rot_pass'])).stdout).toBe(SECRET_VALUE);
  }, LONG * 2);

  it('--detach returns at once, a second --rotate is refused while one runs, and a paused node holds it until it is back', async () => {
    const rootBefore = new X509Certificate(await cluster.ok(manager(), 'swarm', 'ca'));
    const paused = newcomer().daemon!.child.pid!;
    // A stopped daemon cannot renew, so the rotation is certainly still running when asked again.
    process.kill(paused, 'SIGSTOP');
    try {
      expect(await cluster.ok(manager(), 'swarm', 'ca', '--rotate', '--detach')).toContain('Root CA rotation started');
      const again = await cluster.cli(manager(), 'swarm', 'ca', '--rotate');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('a root CA rotation is already in progress');
    } finally {
      process.kill(paused, 'SIGCONT');
    }
    await waitFor('all three nodes on the next root alone', async () => {
      const root = new X509Certificate(await cluster.ok(manager(), 'swarm', 'ca'));
      if (root.fingerprint256 === rootBefore.fingerprint256) return undefined;
      for (const host of [manager(), worker(), newcomer()]) {
        const trusted = splitPemCertificates(await certFile(host, 'ca.crt'));
        if (!new X509Certificate(await certFile(host, 'node.crt')).verify(root.publicKey) || trusted.length !== 1) return undefined;
      }
      return true;
    }, LONG * 2);
    await waitReady([manager(), worker(), newcomer()]);
  }, LONG * 4);

  it('a client with a certificate from the old root is refused', async () => {
    const addr = `${manager().addr}:${cluster.joinPort}`;
    const newRootPem = await cluster.ok(manager(), 'swarm', 'ca');
    // Trusting both roots, so the client itself accepts the manager: the refusal is the manager's.
    const old = { nodeId: worker().nodeId, role: NodeRole.NODE_ROLE_WORKER, certPem: before.worker.cert, keyPem: before.worker.key, caCertPem: `${newRootPem.trimEnd()}\n${before.worker.ca.trimEnd()}\n` } as const;
    await expect(renewNodeCertificate({ addr, current: old })).rejects.toThrow("this call needs a client certificate issued by the cluster's root CA");
    // The same call with the worker's current (new-root) certificate works: the refusal is about the root.
    const current = { ...old, certPem: await certFile(worker(), 'node.crt'), keyPem: await certFile(worker(), 'node.key'), caCertPem: await certFile(worker(), 'ca.crt') };
    expect((await renewNodeCertificate({ addr, current })).nodeId).toBe(worker().nodeId);

    // NATS too: the manager's nats-server trusts the new root alone.
    const { natsPort } = JSON.parse(await readFile(join(manager().dataDir, 'swarm', 'state.json'), 'utf8')) as { natsPort: number };
    const servers = [`tls://${manager().addr}:${natsPort}`];
    await expect(connectBus({ servers, tls: { ca: old.caCertPem, cert: old.certPem, key: old.keyPem } })).rejects.toThrow(BusConnectError);
    const bus = await connectBus({ servers, tls: { ca: current.caCertPem, cert: current.certPem, key: current.keyPem } });
    await bus.close();
  }, LONG);
});
