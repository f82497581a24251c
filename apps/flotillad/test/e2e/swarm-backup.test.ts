// swarm backup / swarm restore end to end (issue 14, item 8): a real manager on 127.0.4.21 with
// a network, a secret and a service using it is backed up; then everything is wiped (daemon
// stopped, its containers and its whole data dir removed). A fresh daemon on the same address
// restores the file: the same node, services, secret (its value reaches a task again), network
// and join tokens, and a worker (127.0.4.22) joins with the old worker token.
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { runToEnd } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.4.21', '127.0.4.22'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const VALUE = `hush-${randomBytes(12).toString('hex')}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let cluster: LoopbackCluster;
let m: LoopbackHost, w: LoopbackHost;
let backupFile: string;
const before = { tokens: { worker: '', manager: '' }, services: '', secrets: '', networks: '' };

/** The value the running task of `service` reads at /run/secrets/db_pass, once there is one. */
async function secretSeenByTask(service: string): Promise<string | undefined> {
  const [c] = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${m.nodeId}`, `io.flotilla.service.name=${service}`], status: ['running'] } });
  if (!c) return undefined;
  const cat = await runToEnd('docker', ['exec', c.Id, 'cat', '/run/secrets/db_pass']);
  return cat.code === 0 ? cat.stdout : undefined;
}

/** `ls -q` style output with the lines sorted, to compare object sets. */
const sortedLines = (out: string) => out.split('\n').filter(Boolean).sort().join('\n');

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['bak-m', 'bak-w'], tmpPrefix: 'flotillad-backup-', daemonArgs: ['--log-level', 'debug'] });
  [m, w] = cluster.hosts as [LoopbackHost, LoopbackHost];
  backupFile = join(cluster.dir, 'swarm.backup');
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('swarm backup, wipe, swarm restore', () => {
  it('a manager with a network, a secret and a service reading it is backed up into a 0600 file', async () => {
    const out = await cluster.ok(m, 'swarm', 'init', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:${cluster.joinPort}`);
    m.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    await cluster.ok(m, 'network', 'create', '-d', 'overlay', 'backnet');
    const valueFile = join(cluster.dir, 'value.txt');
    await writeFile(valueFile, VALUE);
    await cluster.ok(m, 'secret', 'create', 'db_pass', valueFile);
    await cluster.ok(m, 'service', 'create', '--detach', '--name', 'app', '--secret', 'db_pass', '--stop-grace-period', '1s', IMAGE, 'sleep', '100000');
    expect(await waitFor('the task to read the secret', () => secretSeenByTask('app'), LONG)).toBe(VALUE);
    before.tokens.worker = (await cluster.ok(m, 'swarm', 'join-token', '-q', 'worker')).trim();
    before.tokens.manager = (await cluster.ok(m, 'swarm', 'join-token', '-q', 'manager')).trim();
    before.services = sortedLines(await cluster.ok(m, 'service', 'ls', '-q'));
    before.secrets = sortedLines(await cluster.ok(m, 'secret', 'ls', '-q'));
    before.networks = sortedLines(await cluster.ok(m, 'network', 'ls', '-q'));

    const saved = await cluster.ok(m, 'swarm', 'backup', backupFile);
    expect(saved).toMatch(new RegExp(`^Swarm backup written to ${backupFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: swarm \\w+, manager ${m.nodeId}, Raft index \\d+\\.\\n`));
    expect(saved).toContain('It holds the root CA key and every secret of the swarm');
    expect((await stat(backupFile)).mode & 0o777).toBe(0o600);
    // The secret's value is in the file only sealed, never in clear.
    expect((await readFile(backupFile)).includes(Buffer.from(VALUE))).toBe(false);
  }, 3 * LONG);

  it('everything is wiped: daemon stopped, its containers and its data dir gone', async () => {
    m.daemon!.child.kill('SIGTERM');
    await m.daemon!.exited;
    m.daemon = undefined;
    await killStaleNatsServer(join(m.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${m.nodeId}`] } })) await docker.getContainer(c.Id).remove({ force: true });
    await rm(m.dataDir, { recursive: true, force: true });
    await cluster.start(m);
    expect(await cluster.ok(m, 'info')).toContain('Swarm: inactive');
  }, 2 * LONG);

  it('a fresh daemon restores the file: same node, services, secret, network and join tokens', async () => {
    const out = await cluster.ok(m, 'swarm', 'restore', backupFile);
    expect(out).toMatch(new RegExp(`current node \\(${m.nodeId}\\) is now the only manager of swarm \\w+, as of Raft index \\d+\\.`));
    expect(out).toContain(`flotilla swarm join --token ${before.tokens.worker} `);
    expect((await cluster.ok(m, 'swarm', 'join-token', '-q', 'worker')).trim()).toBe(before.tokens.worker);
    expect((await cluster.ok(m, 'swarm', 'join-token', '-q', 'manager')).trim()).toBe(before.tokens.manager);
    expect(sortedLines(await cluster.ok(m, 'service', 'ls', '-q'))).toBe(before.services);
    expect(sortedLines(await cluster.ok(m, 'secret', 'ls', '-q'))).toBe(before.secrets);
    expect(sortedLines(await cluster.ok(m, 'network', 'ls', '-q'))).toBe(before.networks);
    expect(/\sLeader\s/.test(await cluster.ok(m, 'node', 'ls'))).toBe(true);
  }, 2 * LONG);

  it("the secret's value reaches a task again, and a worker joins with the old worker token", async () => {
    expect(await waitFor('a task of app to read the secret after the restore', () => secretSeenByTask('app'), 2 * LONG)).toBe(VALUE);
    await cluster.ok(w, 'swarm', 'join', '--advertise-addr', w.addr, '--token', before.tokens.worker, `${m.addr}:${cluster.joinPort}`);
    w.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(w, 'info'))![1]!;
    await waitFor('the worker Ready', async () => ((await cluster.ok(m, 'node', 'ls')).split('\n').some((l) => l.startsWith(w.nodeId) && /\sReady\s/.test(l)) ? true : undefined), LONG);
  }, 4 * LONG);

  it('restore is refused on a node already in a swarm, changing nothing', async () => {
    const again = await cluster.cli(m, 'swarm', 'restore', backupFile);
    expect(again).toMatchObject({ code: 1, stderr: 'flotilla: this node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.\n' });
    expect(sortedLines(await cluster.ok(m, 'service', 'ls', '-q'))).toBe(before.services);
  }, LONG);
});
