// Issue 13: only current managers may route into the managers' NATS cluster. Two managers and a
// worker, each a real flotillad on its own loopback address; a rogue nats-server started by the
// test (its own config, as an attacker holding some node's files would write it) routes to the
// first manager with (a) the worker's certificate, (b) a removed node's, (c) a demoted manager's,
// (d) another cluster's — refused, and the manager's routes do not change (read from its
// nats-server monitoring, which --nats-monitor-addr turns on, on loopback) — and with a current
// manager's certificate the same rogue config does route in, so the test proves the check, not a
// broken port. A promoted worker routes in; a route opened with a manager's key before its demotion
// is dropped by the demotion (a config reload), and the demoted manager's certificate no longer
// opens the manager port's control API. The managers' own route stays the same connection through
// a promotion, a demotion and a `node rm`, and comes back after a manager restart. Nothing is mocked.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeRole } from '@flotilla/api';
import { certificateKeySha256, createRootCa, issueLocalNodeCredentials } from '@flotilla/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortOnAll, startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import type { RogueNats } from '../helpers/rogue-nats.js';
import { certDir, routeAttacks, type CertFiles, type RouteAttacks } from '../helpers/route-attacks.js';
import { runCli } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.1.10', '127.0.1.11', '127.0.1.12'] as const;
const ROGUE_HOST = '127.0.1.19';
const LONG = 90_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let monitorPort: number;
let m1: Host;
let m2: Host;
let w1: Host;
let clusterId = '';
/** The id of m1's route to m2, which must survive promotions, demotions and removals. */
let m2Route = 0;
let attacks: RouteAttacks;

const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);
const m1Routes = (): Promise<number[]> => attacks.routes();
const steal = (host: Host, as: string): Promise<CertFiles> => attacks.steal(host, as);
const rogueWith = (name: string, files: CertFiles): Promise<RogueNats> => attacks.rogueWith(name, files);
const expectRefused = (name: string, files: CertFiles, reason: RegExp): Promise<void> => attacks.expectRefused(name, files, reason);

beforeAll(async () => {
  monitorPort = await freePortOnAll(ADDRS);
  cluster = await startLoopbackCluster({
    addrs: ADDRS,
    names: ['e2e-p-m1', 'e2e-p-m2', 'e2e-p-w1'],
    tmpPrefix: 'flotillad-routes-',
    hostArgs: (host) => ['--nats-monitor-addr', `${host.addr}:${monitorPort}`],
  });
  [m1, m2, w1] = cluster.hosts as [Host, Host, Host];
  attacks = routeAttacks({ cluster, target: m1, monitorPort, rogueHost: ROGUE_HOST, clusterId: () => clusterId });
}, LONG);

afterAll(async () => {
  await attacks?.stopAll();
  await cluster?.stop();
}, LONG);

describe('NATS routes are for current managers only', () => {
  it('two managers and a worker form a swarm; the managers hold one route', async () => {
    const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${cluster.joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    clusterId = (JSON.parse(await readFile(join(m1.dataDir, 'swarm', 'state.json'), 'utf8')) as { clusterId: string }).clusterId;
    const managerToken = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    const workerToken = (await ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
    await ok(m2, 'swarm', 'join', '--advertise-addr', m2.addr, '--token', managerToken, `${m1.addr}:${cluster.joinPort}`);
    await ok(w1, 'swarm', 'join', '--advertise-addr', w1.addr, '--token', workerToken, `${m1.addr}:${cluster.joinPort}`);
    for (const host of [m2, w1]) host.nodeId = /NodeID: (\w+)/.exec(await ok(host, 'info'))![1]!;
    await waitFor('three Ready nodes', async () => ((await ok(m1, 'node', 'ls')).match(/\sReady\s/g)?.length === 3 ? true : undefined), LONG);
    const routes = await waitFor('one route between the managers', async () => {
      const r = await m1Routes();
      return r.length === 1 ? r : undefined;
    }, LONG);
    m2Route = routes[0]!;
  }, 2 * LONG);

  it("with a current manager's certificate the rogue config does route in (the port and config work)", async () => {
    const rogue = await rogueWith('current-manager', await steal(m2, 'm2'));
    try {
      await waitFor('the rogue with a manager key to route in', async () => ((await m1Routes()).length === 2 && (await rogue.routes()) >= 1 ? true : undefined), 30_000);
    } finally {
      await rogue.stop();
    }
    await waitFor('m1 back to its one route', async () => ((await m1Routes()).join() === String(m2Route) ? true : undefined), 30_000);
  }, LONG);

  it("(a) a worker's certificate is refused at the route handshake", async () => {
    await expectRefused('worker', await steal(w1, 'w1-worker'), /^route-not-pinned$/);
  }, LONG);

  it("(d) another cluster's manager certificate is refused", async () => {
    const otherCa = createRootCa({ clusterId: 'other-cluster' });
    const other = issueLocalNodeCredentials({ rootCa: otherCa, clusterId: 'other-cluster', role: NodeRole.NODE_ROLE_MANAGER, addresses: [ROGUE_HOST] });
    const dir = join(cluster.dir, 'stolen', 'other');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'node.crt'), other.certPem);
    await writeFile(join(dir, 'node.key'), other.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), otherCa.certPem);
    await expectRefused('other-cluster', { certFile: join(dir, 'node.crt'), keyFile: join(dir, 'node.key'), caFile: join(dir, 'ca.crt') }, /^route-/);
  }, LONG);

  it("a promoted worker becomes routable; (c) once demoted, a route already open with its manager key is dropped, and its old manager certificate and its new worker one are refused", async () => {
    expect(await ok(m1, 'node', 'promote', w1.name)).toContain('promoted to a manager');
    await waitFor('m1 routed to the promoted w1 as well as m2', async () => {
      const r = await m1Routes();
      return r.length === 2 && r.includes(m2Route) ? true : undefined;
    }, LONG);
    await waitFor('w1 runs as a manager with a manager certificate', async () => {
      const subject = new X509Certificate(await readFile(join(certDir(w1), 'node.crt'), 'utf8')).subject;
      return subject.includes('OU=flotilla-manager') && /Is Manager: true/.test(await ok(w1, 'info')) ? true : undefined;
    }, LONG);
    const managerFiles = await steal(w1, 'w1-manager');
    const managerPort = `tcp://${m1.addr}:${cluster.joinPort}`;
    // While w1 is a manager its key routes in: an attacker holding its files opens a route now...
    const early = await rogueWith('manager-before-demotion', managerFiles);
    try {
      await waitFor('the rogue with the manager key of w1 to route in', async () => ((await m1Routes()).length === 3 && (await early.routes()) >= 1 ? true : undefined), 30_000);
      const asManager = await runCli(['-H', managerPort, '--tls-dir', join(managerFiles.certFile, '..'), 'node', 'ls']);
      expect(asManager.code, asManager.stderr).toBe(0);

      expect(await ok(m1, 'node', 'demote', w1.name)).toContain('demoted');
      // ...and once w1 is demoted m1 drops that open route (a reload, not a restart), though the
      // rogue never closes it itself: m1 is left with its route to m2, the same connection.
      await waitFor('w1 a worker again, and m1 routed to m2 alone over the same connection, the rogue cut off', async () => {
        const info = await cluster.cli(w1, 'info');
        return info.code === 0 && info.stdout.includes('Is Manager: false') && (await m1Routes()).join() === String(m2Route) && (await early.routes()) === 0 ? true : undefined;
      }, LONG);
      expect(early.process.child.exitCode).toBeNull();
    } finally {
      await early.stop();
    }
    // The swarm still writes with the two managers left.
    await ok(m2, 'service', 'create', '--detach', '--name', 'after-demote', 'flotilla/busybox:latest', 'sleep', '1000');
    // The demoted manager's certificate is still valid, but the manager port's control API wants a current manager.
    const demotedCall = await runCli(['-H', managerPort, '--tls-dir', join(managerFiles.certFile, '..'), 'node', 'ls']);
    expect(demotedCall.code).not.toBe(0);
    expect(demotedCall.stderr).toMatch(/no manager of this cluster now \(demoted\)/);
    const oldKey = certificateKeySha256(await readFile(managerFiles.certFile, 'utf8'));
    const pinned = (JSON.parse(await readFile(join(m1.dataDir, 'swarm', 'nats', 'route-keys.json'), 'utf8')) as { keys: string[] }).keys;
    expect(pinned).not.toContain(oldKey);
    await expectRefused('demoted-manager-old-cert', managerFiles, /^route-not-pinned$/);
    await expectRefused('demoted-manager-worker-cert', await steal(w1, 'w1-demoted'), /^route-not-pinned$/);
  }, 4 * LONG);

  it("(b) a removed node's certificate is refused, and removing it leaves the managers' route alone", async () => {
    const files = await steal(w1, 'w1-removed');
    w1.daemon!.child.kill('SIGTERM');
    await w1.daemon!.exited;
    w1.daemon = undefined;
    await ok(m1, 'node', 'rm', '--force', w1.nodeId);
    await expectRefused('removed', files, /^route-not-pinned$/);
    expect(await m1Routes()).toEqual([m2Route]);
  }, LONG);

  it('a restarted manager routes again from the keys it pinned last, and the swarm writes through it', async () => {
    m2.daemon!.child.kill('SIGTERM');
    await m2.daemon!.exited;
    await waitFor('m1 without a route while m2 is down', async () => ((await m1Routes()).length === 0 ? true : undefined), 30_000);
    await cluster.start(m2);
    await waitFor('the managers routed again', async () => ((await m1Routes()).length === 1 ? true : undefined), LONG);
    await ok(m2, 'service', 'scale', '--detach', 'after-demote=2');
    await waitFor('after-demote scaled, seen from m1', async () => (/\safter-demote\s+replicated\s+\d\/2\s/.test(await ok(m1, 'service', 'ls')) ? true : undefined), LONG);
  }, 2 * LONG);
});
