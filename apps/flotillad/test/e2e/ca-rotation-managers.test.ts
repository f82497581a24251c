// Root CA rotation with two managers and a worker (real daemons on 127.0.0.153-.155): the
// rotation is started through the follower manager (forwarded to the leader), every node moves,
// both managers' CA key files follow the new root, and a manager restarted afterwards comes back
// on the new root from its data dir.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitPemCertificates } from '@flotilla/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.153', '127.0.0.154', '127.0.0.155'];
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

let cluster: LoopbackCluster;
const [m1, m2, w] = [0, 1, 2].map((i) => (): LoopbackHost => cluster.hosts[i]!) as [() => LoopbackHost, () => LoopbackHost, () => LoopbackHost];
const certFile = (host: LoopbackHost, file: string) => readFile(join(host.dataDir, 'swarm', 'certificates', file), 'utf8');
const nodeLine = (ls: string, host: LoopbackHost) => ls.split('\n').find((l) => l.startsWith(host.nodeId)) ?? '';

/** Every host Ready, m1 and m2 managers (one Leader, the other Reachable), seen from `from`. */
async function waitHealthy(from: LoopbackHost): Promise<void> {
  await waitFor(`a healthy swarm seen from ${from.name}`, async () => {
    const run = await cluster.cli(from, 'node', 'ls');
    if (run.code !== 0) return undefined;
    const lines = [m1(), m2(), w()].map((h) => nodeLine(run.stdout, h));
    const managers = lines.slice(0, 2).map((l) => /\s(Leader|Reachable)(?:\s|$)/.exec(l)?.[1]).sort();
    return lines.every((l) => /\sReady\s/.test(l)) && managers.join() === 'Leader,Reachable' ? true : undefined;
  }, LONG);
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-rotm-m1', 'e2e-rotm-m2', 'e2e-rotm-w'], tmpPrefix: 'flotillad-ca-rotation-managers-' });
  const { joinPort } = cluster;
  const out = await cluster.ok(m1(), 'swarm', 'init', '--advertise-addr', m1().addr, '--listen-addr', `${m1().addr}:${joinPort}`);
  m1().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const tokens = { manager: (await cluster.ok(m1(), 'swarm', 'join-token', '-q', 'manager')).trim(), worker: (await cluster.ok(m1(), 'swarm', 'join-token', '-q', 'worker')).trim() };
  await cluster.ok(m2(), 'swarm', 'join', '--advertise-addr', m2().addr, '--listen-addr', `${m2().addr}:${joinPort}`, '--token', tokens.manager, `${m1().addr}:${joinPort}`);
  await cluster.ok(w(), 'swarm', 'join', '--advertise-addr', w().addr, '--token', tokens.worker, `${m1().addr}:${joinPort}`);
  for (const host of [m2(), w()]) host.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(host, 'info'))![1]!;
  await waitHealthy(m1());
}, LONG * 4);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('swarm ca --rotate with two managers', () => {
  it('started through the follower, moves all three nodes; both managers hold the new root key', async () => {
    const oldRoot = new X509Certificate(await cluster.ok(m2(), 'swarm', 'ca'));
    expect(await cluster.ok(m1(), 'service', 'create', '--replicas', '3', '--name', 'steady', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600')).toContain('verify: Service converged');
    const rotation = await cluster.cli(m2(), 'swarm', 'ca', '--rotate');
    expect(rotation.stderr).toBe('');
    expect(rotation.code).toBe(0);
    expect(rotation.stdout).toMatch(/rotated TLS certificates: +\[=+>\] 3\/3 nodes/);
    expect(rotation.stdout).toMatch(/rotated CA certificates: +\[=+>\] 3\/3 nodes/);
    const newRoot = new X509Certificate(await cluster.ok(m1(), 'swarm', 'ca'));
    expect(newRoot.fingerprint256).not.toBe(oldRoot.fingerprint256);
    expect(new X509Certificate(await cluster.ok(m2(), 'swarm', 'ca')).fingerprint256).toBe(newRoot.fingerprint256);
    for (const host of [m1(), m2(), w()]) {
      await waitFor(`${host.name} on the new root alone`, async () => {
        const trusted = splitPemCertificates(await certFile(host, 'ca.crt'));
        return new X509Certificate(await certFile(host, 'node.crt')).verify(newRoot.publicKey) && trusted.length === 1 && new X509Certificate(trusted[0]!).fingerprint256 === newRoot.fingerprint256 ? true : undefined;
      }, LONG);
    }
    for (const host of [m1(), m2()]) {
      await waitFor(`${host.name}'s ca.key is the new root's key`, async () => (newRoot.checkPrivateKey(createPrivateKey(await certFile(host, 'ca.key'))) ? true : undefined), LONG);
    }
    await waitHealthy(m1());
  }, LONG * 5);

  it('a manager restarted after the rotation comes back on the new root and the swarm keeps working', async () => {
    const newRoot = new X509Certificate(await cluster.ok(m1(), 'swarm', 'ca'));
    m2().daemon!.child.kill('SIGTERM');
    await m2().daemon!.exited;
    await cluster.start(m2());
    await waitHealthy(m2());
    expect(new X509Certificate(await cluster.ok(m2(), 'swarm', 'ca')).fingerprint256).toBe(newRoot.fingerprint256);
    expect(await cluster.ok(m2(), 'service', 'create', '--replicas', '3', '--name', 'after', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600')).toContain('verify: Service converged');
  }, LONG * 4);

  it('a manager restarted in the middle of a rotation (its ca.crt two roots, its ca.key the old one) comes back, and the rotation completes', async () => {
    const rootBefore = new X509Certificate(await cluster.ok(m1(), 'swarm', 'ca'));
    const paused = w().daemon!.child.pid!;
    // The stopped worker cannot renew: the rotation stays in its first phase while m1 restarts.
    process.kill(paused, 'SIGSTOP');
    try {
      expect(await cluster.ok(m1(), 'swarm', 'ca', '--rotate', '--detach')).toContain('Root CA rotation started');
      await waitFor('m1 moved to the new root (trusting both)', async () => (splitPemCertificates(await certFile(m1(), 'ca.crt')).length === 2 ? true : undefined), LONG);
      expect(rootBefore.checkPrivateKey(createPrivateKey(await certFile(m1(), 'ca.key')))).toBe(true);
      m1().daemon!.child.kill('SIGTERM');
      await m1().daemon!.exited;
      await cluster.start(m1());
    } finally {
      process.kill(paused, 'SIGCONT');
    }
    await waitFor('all three nodes on the next root alone', async () => {
      const run = await cluster.cli(m1(), 'swarm', 'ca');
      if (run.code !== 0) return undefined;
      const root = new X509Certificate(run.stdout);
      if (root.fingerprint256 === rootBefore.fingerprint256) return undefined;
      for (const host of [m1(), m2(), w()]) {
        const trusted = splitPemCertificates(await certFile(host, 'ca.crt'));
        if (!new X509Certificate(await certFile(host, 'node.crt')).verify(root.publicKey) || trusted.length !== 1) return undefined;
      }
      return root.checkPrivateKey(createPrivateKey(await certFile(m1(), 'ca.key'))) ? true : undefined;
    }, LONG * 2);
    await waitHealthy(m1());
  }, LONG * 5);
});
