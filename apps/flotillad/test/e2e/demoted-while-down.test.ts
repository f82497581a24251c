// Issue 13: a manager demoted while it is down. Three managers, each a real flotillad on its own
// loopback address; the third is killed (its daemon by pid, then the nats-server it left, as when
// its host goes down) and demoted from the first. The leader takes it out of the Raft voters on its
// own (docker's role manager does the same): `node ls` shows it without manager status (recorded
// a worker only once out of the voters), the first manager stops pinning its manager key, and a
// rogue nats-server with its stolen manager certificate is refused at the route handshake, while
// the two managers left keep a quorum and take writes. Restarted, it finds itself demoted (the
// other managers' CAs refuse it as a manager), takes a worker certificate and comes back as a
// Ready worker, its route refused for good and the managers' route untouched. Nothing is mocked.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { certificateKeySha256 } from '@flotilla/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { freePortOnAll, startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { certDir, routeAttacks, type CertFiles, type RouteAttacks } from '../helpers/route-attacks.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.7.1', '127.0.7.2', '127.0.7.3'] as const;
const ROGUE_HOST = '127.0.7.9';
const LONG = 90_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let m1: Host;
let m2: Host;
let m3: Host;
let clusterId = '';
let attacks: RouteAttacks;
/** m3's manager certificate and key, taken before it went down. */
let m3Manager: CertFiles;

const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);

/** `node ls` on `host`: each node's line by node id ('' when the call fails). */
async function nodeLines(host: Host): Promise<Map<string, string>> {
  const run = await cluster.cli(host, 'node', 'ls');
  if (run.code !== 0) return new Map();
  return new Map(run.stdout.split('\n').slice(1).filter(Boolean).map((line) => [line.split(/\s+/)[0]!.replace('*', ''), line]));
}
const managerStatusOf = (line: string | undefined): string => /\s(Leader|Reachable|Unreachable)(\s|$)/.exec(line ?? '')?.[1] ?? '';

beforeAll(async () => {
  const monitorPort = await freePortOnAll(ADDRS);
  cluster = await startLoopbackCluster({
    addrs: ADDRS,
    names: ['e2e-dd-m1', 'e2e-dd-m2', 'e2e-dd-m3'],
    tmpPrefix: 'flotillad-demoted-down-',
    hostArgs: (host) => ['--nats-monitor-addr', `${host.addr}:${monitorPort}`],
  });
  [m1, m2, m3] = cluster.hosts as [Host, Host, Host];
  attacks = routeAttacks({ cluster, target: m1, monitorPort, rogueHost: ROGUE_HOST, clusterId: () => clusterId });
}, LONG);

afterAll(async () => {
  await attacks?.stopAll();
  await cluster?.stop();
}, LONG);

describe('a manager demoted while it is down', () => {
  it('three managers form a swarm, routed to each other', async () => {
    const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${cluster.joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    clusterId = (JSON.parse(await readFile(join(m1.dataDir, 'swarm', 'state.json'), 'utf8')) as { clusterId: string }).clusterId;
    const token = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const host of [m2, m3]) {
      await ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${cluster.joinPort}`);
      host.nodeId = /NodeID: (\w+)/.exec(await ok(host, 'info'))![1]!;
    }
    await waitFor('three Ready managers', async () => {
      const lines = [...(await nodeLines(m1)).values()];
      return lines.length === 3 && lines.every((l) => /\sReady\s/.test(l) && managerStatusOf(l) !== '') ? true : undefined;
    }, LONG);
    await waitFor('m1 routed to m2 and m3', async () => ((await attacks.routes()).length === 2 ? true : undefined), LONG);
    m3Manager = await attacks.steal(m3, 'm3-manager');
  }, 2 * LONG);

  it('demoted while down, it is taken out of the voters and its manager certificate no longer routes in; the two left keep writing', async () => {
    const pid = m3.daemon!.child.pid!;
    process.kill(pid, 'SIGKILL');
    await m3.daemon!.exited;
    m3.daemon = undefined;
    // Its host is down: the nats-server the killed daemon left goes too.
    await killStaleNatsServer(join(m3.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    await waitFor('m1 routed to m2 alone', async () => ((await attacks.routes()).length === 1 ? true : undefined), 30_000);
    const managerPort = await waitFor('a surviving manager that answers the demotion', async () => {
      const run = await cluster.cli(m1, 'node', 'demote', m3.nodeId);
      if (run.code === 0) return run.stdout;
      // Refused while m3 was the leader and the others are electing a new one: asked again.
      return /leader|election|quorum/i.test(run.stderr) ? undefined : Promise.reject(new Error(run.stderr));
    }, 30_000);
    expect(managerPort).toContain('demoted');

    // Out of the voters: the leader records it as a worker (no manager status) only after its removal.
    await waitFor('m3 listed without manager status on m1 and m2', async () => {
      const seen = await Promise.all([m1, m2].map(async (h) => (await nodeLines(h)).get(m3.nodeId)));
      return seen.every((line) => line !== undefined && managerStatusOf(line) === '') ? true : undefined;
    }, LONG);
    // After the grace a manager that left the voters keeps, its key is no longer pinned...
    const m3Key = certificateKeySha256(await readFile(m3Manager.certFile, 'utf8'));
    await waitFor("m1 no longer pinning m3's manager key", async () => {
      const pinned = (JSON.parse(await readFile(join(m1.dataDir, 'swarm', 'nats', 'route-keys.json'), 'utf8')) as { keys: string[] }).keys;
      return pinned.includes(m3Key) ? undefined : true;
    }, LONG);
    // ...and its manager certificate is refused at the route handshake.
    await attacks.expectRefused('demoted-while-down', m3Manager, /^route-not-pinned$/);
    // The two managers left are the whole Raft group: they elect and commit without m3.
    await ok(m2, 'service', 'create', '--detach', '--name', 'after-demote', 'flotilla/busybox:latest', 'sleep', '1000');
    await waitFor('the service written through m2 seen from m1', async () => (/\safter-demote\s/.test(await ok(m1, 'service', 'ls')) ? true : undefined), 30_000);
    expect(/Managers: 2\b/.test(await ok(m1, 'info'))).toBe(true);
  }, 3 * LONG);

  it('restarted, it comes back as a Ready worker with a worker certificate; its manager key still routes nowhere', async () => {
    await cluster.start(m3);
    await waitFor('m3 running as a worker', async () => {
      const info = await cluster.cli(m3, 'info');
      return info.code === 0 && /Is Manager: false/.test(info.stdout) && /Swarm: active/.test(info.stdout) ? true : undefined;
    }, LONG);
    const subject = new X509Certificate(await readFile(join(certDir(m3), 'node.crt'), 'utf8')).subject;
    expect(subject).toContain('OU=flotilla-worker');
    await waitFor('m3 Ready as a worker on m1', async () => {
      const line = (await nodeLines(m1)).get(m3.nodeId);
      return line !== undefined && /\sReady\s/.test(line) && managerStatusOf(line) === '' ? true : undefined;
    }, LONG);
    // Still two managers, routed to each other only; the old manager key stays refused.
    expect((await attacks.routes()).length).toBe(1);
    expect(/Managers: 2\b/.test(await ok(m1, 'info'))).toBe(true);
    await attacks.expectRefused('demoted-after-restart', m3Manager, /^route-not-pinned$/);
    await ok(m1, 'service', 'scale', '--detach', 'after-demote=2');
    await waitFor('after-demote scaled, seen from m2', async () => (/\safter-demote\s+replicated\s+\d\/2\s/.test(await ok(m2, 'service', 'ls')) ? true : undefined), LONG);
  }, 2 * LONG);
});
