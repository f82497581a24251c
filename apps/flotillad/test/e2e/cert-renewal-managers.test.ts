// Certificate renewal on three managers (127.0.0.122-.124, same ports on each like separate
// machines): real nats-servers routed to each other, real Raft over NATS, real Docker. With the
// FLOTILLA_CERT_RENEW_AFTER_MS test/ops knob every manager renews every few seconds, so its
// nats-server reloads TLS (client port and routes) and its own NATS connection reconnects with the
// new certificate while Raft keeps running; a manager restarted from its data dir comes back on
// the renewed files.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENEW_AFTER_ENV } from '../../src/swarm/cert-renewal.js';
import { freePortOnAll, startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { routeCount } from '../helpers/rogue-nats.js';
import type { Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.122', '127.0.0.123', '127.0.0.124'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const RENEW_AFTER_MS = 4_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let joinPort: number;
let monitorPort: number;
const hosts: Host[] = [];

const start = (host: Host): Promise<void> => cluster.start(host);

const cli = (host: Host, ...args: string[]): Promise<Finished> => cluster.cli(host, ...args);
const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);

async function serial(host: Host): Promise<string | undefined> {
  const text = await readFile(join(host.dataDir, 'swarm', 'certificates', 'node.crt'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : new X509Certificate(text).serialNumber;
}

/** Waits until every host has taken up `count` certificates after the one it has now. */
async function waitForRenewals(count: number): Promise<void> {
  await Promise.all(
    hosts.map(async (host) => {
      const seen = [await serial(host)];
      await waitFor(`${count} certificate renewals on ${host.name}`, async () => {
        const now = await serial(host);
        if (now !== undefined && now !== seen[seen.length - 1]) seen.push(now);
        return seen.length > count ? true : undefined;
      }, LONG);
    }),
  );
}

/** Every manager sees three Ready managers, one Leader and two Reachable. */
async function waitForHealthyManagers(): Promise<void> {
  for (const host of hosts) {
    await waitFor(`three healthy managers seen from ${host.name}`, async () => {
      const run = await cli(host, 'node', 'ls');
      if (run.code !== 0) return undefined;
      const lines = run.stdout.split('\n').slice(1).filter(Boolean);
      const ready = lines.filter((l) => /\sReady\s/.test(l));
      const leaders = lines.filter((l) => /\sLeader(\s|$)/.test(l));
      const reachable = lines.filter((l) => /\sReachable(\s|$)/.test(l));
      return ready.length === 3 && leaders.length === 1 && reachable.length === 2 ? true : undefined;
    }, LONG);
  }
}

beforeAll(async () => {
  monitorPort = await freePortOnAll(ADDRS);
  cluster = await startLoopbackCluster({
    addrs: ADDRS,
    hostArgs: (host) => ['--nats-monitor-addr', `${host.addr}:${monitorPort}`],
    names: ADDRS.map((_, i) => `e2e-renew-m${i + 1}`),
    tmpPrefix: 'flotillad-cert-renewal-mgrs-',
    daemonEnv: { [RENEW_AFTER_ENV]: String(RENEW_AFTER_MS) },
  });
  hosts.push(...cluster.hosts);
  joinPort = cluster.joinPort;
  const [m1, ...others] = hosts as [Host, Host, Host];
  const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${joinPort}`);
  m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const token = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
  for (const host of others) {
    await ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${joinPort}`);
    host.nodeId = /NodeID: (\w+)/.exec(await ok(host, 'info'))![1]!;
  }
  await waitForHealthyManagers();
}, LONG * 4);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('certificate renewal on three managers', () => {
  it('Raft, routes and the control API keep working while every manager renews twice', async () => {
    await waitForRenewals(2);
    await waitForHealthyManagers();
    // Each renewal brings a new key: the CA records it (and the one renewed with) before answering,
    // so the other managers pin it before any route presents it, and the full mesh stays up.
    for (const host of hosts) {
      await waitFor(`${host.name} routed to both other managers`, async () => ((await routeCount(host.addr, monitorPort)) === 2 ? true : undefined), LONG);
    }
    // A write through any manager reaches the leader (over NATS, after the reconnects) and converges.
    expect(await ok(hosts[2]!, 'service', 'create', '--replicas', '3', '--name', 'through-renewals', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600')).toContain('verify: Service converged');
    for (const host of hosts) expect(await ok(host, 'service', 'ls')).toMatch(/\sthrough-renewals\s+replicated\s+3\/3\s/);
  }, LONG * 4);

  it('a manager restarted from its data dir comes back on its renewed certificate and key', async () => {
    const m3 = hosts[2]!;
    await waitForRenewals(1);
    m3.daemon!.child.kill('SIGTERM');
    await m3.daemon!.exited;
    m3.daemon = undefined;
    await start(m3);
    await waitForHealthyManagers();
    await waitForRenewals(1);
    expect(await ok(m3, 'service', 'ls')).toMatch(/\sthrough-renewals\s+replicated\s+3\/3\s/);
  }, LONG * 4);
});
