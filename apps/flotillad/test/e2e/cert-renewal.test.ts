// Certificate renewal running in real daemons: a manager and a worker (own loopback addresses,
// own data dirs, real nats-server, real gRPC CA, real Docker). The test/ops knob
// FLOTILLA_CERT_RENEW_AFTER_MS makes each node renew a few seconds after taking up a certificate
// instead of in the last 50-20 % of a 90-day validity; everything else is the production path.
import Docker from 'dockerode';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { NodeRole } from '@flotilla/api';
import { pickFreePort } from '@flotilla/bus';
import { readNodeIdentity, renewNodeCertificate } from '@flotilla/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { RENEW_AFTER_ENV } from '../../src/swarm/cert-renewal.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const MANAGER_ADDR = '127.0.0.120';
const WORKER_ADDR = '127.0.0.121';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const RENEW_AFTER_MS = 4_000;
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
let managerCaAddr = '';
const hosts: Host[] = [];
const manager = () => hosts[0]!;
const worker = () => hosts[1]!;

const cli = (host: Host, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
async function ok(host: Host, ...args: string[]): Promise<string> {
  const run = await cli(host, ...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${host.name} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const certPath = (host: Host, file: string) => join(host.dataDir, 'swarm', 'certificates', file);
async function nodeCert(host: Host): Promise<X509Certificate> {
  return new X509Certificate(await readFile(certPath(host, 'node.crt'), 'utf8'));
}
const running = (host: Host) => docker.listContainers({ filters: { label: [`io.flotilla.node.id=${host.nodeId}`], status: ['running'] } });
/** The daemon's log lines (pino JSON, on whichever stream the daemon writes them). */
const logLines = (host: Host) => `${host.daemon!.stdout()}\n${host.daemon!.stderr()}`.split('\n');
const renewedLines = (host: Host) => logLines(host).filter((l) => l.includes('"component":"cert-renewal"') && l.includes('"node certificate renewed"'));

/** Waits until `host` has taken up `count` more certificates than `before` (a new serial each time). */
async function waitForRenewals(host: Host, count: number): Promise<X509Certificate[]> {
  const seen: X509Certificate[] = [await nodeCert(host)];
  await waitFor(`${count} certificate renewals on ${host.name}`, async () => {
    const cert = await nodeCert(host).catch(() => undefined);
    if (cert && cert.serialNumber !== seen[seen.length - 1]!.serialNumber) seen.push(cert);
    return seen.length > count ? true : undefined;
  }, LONG);
  return seen;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-cert-renewal-'));
  natsPort = await pickFreePort(MANAGER_ADDR);
  for (const name of ['e2e-renew-mgr', 'e2e-renew-wrk']) {
    const host: Host = { name, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
    hosts.push(host);
    host.daemon = spawnDaemon(['--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', name, '--nats-port', String(natsPort), '--nats-cluster-port', '0'], {
      env: { ...process.env, [RENEW_AFTER_ENV]: String(RENEW_AFTER_MS) },
    });
    await waitUntilServing(host.daemon, host.socket);
  }
  const out = await ok(manager(), 'swarm', 'init', '--advertise-addr', MANAGER_ADDR, '--listen-addr', `${MANAGER_ADDR}:0`);
  manager().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const joinArgs = /flotilla swarm join (--token \S+ \S+)\n/.exec(out)![1]!.split(' ');
  managerCaAddr = joinArgs[2]!;
  await ok(worker(), 'swarm', 'join', '--advertise-addr', WORKER_ADDR, ...joinArgs);
  worker().nodeId = /NodeID: (\w+)/.exec(await ok(worker(), 'info'))![1]!;
  await waitFor('both nodes Ready', async () => {
    const ls = await ok(manager(), 'node', 'ls');
    return hosts.every((h) => new RegExp(`^${h.nodeId}\\s+(?:\\*\\s+)?${h.name}\\s+Ready`, 'm').test(ls)) ? true : undefined;
  }, LONG);
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
    }
  }
  await rm(dir, { recursive: true, force: true });
}, LONG);

describe('certificate renewal in flotillad', () => {
  it('both nodes renew (new serial, later expiry, same identity and role) while their tasks keep running, and services still converge on both', async () => {
    expect(await ok(manager(), 'service', 'create', '--replicas', '4', '--name', 'renewing', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600')).toContain('verify: Service converged');
    const before = new Map<string, string[]>();
    for (const host of hosts) {
      const ids = (await running(host)).map((c) => c.Id).sort();
      expect(ids).toHaveLength(2);
      before.set(host.name, ids);
    }

    for (const [host, role] of [[manager(), NodeRole.NODE_ROLE_MANAGER], [worker(), NodeRole.NODE_ROLE_WORKER]] as const) {
      const seen = await waitForRenewals(host, 2);
      const ca = new X509Certificate(await readFile(certPath(host, 'ca.crt'), 'utf8'));
      for (let i = 1; i < seen.length; i++) {
        const [older, newer] = [seen[i - 1]!, seen[i]!];
        expect(newer.serialNumber).not.toBe(older.serialNumber);
        expect(new Date(newer.validTo).getTime()).toBeGreaterThan(new Date(older.validTo).getTime());
        expect(newer.verify(ca.publicKey)).toBe(true);
        const identity = readNodeIdentity(newer);
        expect(identity.nodeId).toBe(host.nodeId);
        expect(identity.role).toBe(role);
      }
      // one info line per renewal, naming the new expiry
      const line = renewedLines(host).at(-1);
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ nodeId: host.nodeId, component: 'cert-renewal', notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    }

    // The same containers run: renewal swapped TLS under the nodes, it did not restart their tasks.
    for (const host of hosts) expect((await running(host)).map((c) => c.Id).sort()).toEqual(before.get(host.name));
    // The control plane still works through renewed certificates: the worker gets new assignments.
    expect(await ok(manager(), 'service', 'scale', 'renewing=6')).toContain('renewing scaled to 6\n');
    await waitFor('3 renewing tasks on each node', async () => {
      const counts = await Promise.all(hosts.map(async (h) => (await running(h)).length));
      return counts.every((n) => n === 3) ? true : undefined;
    }, LONG);
    // ...and keeps getting them across a further renewal of both nodes.
    await Promise.all(hosts.map((h) => waitForRenewals(h, 1)));
    // (Scaling up, not down: which slots a scale-down keeps, and so on which node, is not spread.)
    await ok(manager(), 'service', 'scale', 'renewing=8');
    await waitFor('4 renewing tasks on each node', async () => {
      const counts = await Promise.all(hosts.map(async (h) => (await running(h)).length));
      return counts.every((n) => n === 4) ? true : undefined;
    }, LONG);
  }, LONG * 4);

  it('after swarm update --cert-expiry, the next certificate of each node has the new validity', async () => {
    await ok(manager(), 'swarm', 'update', '--cert-expiry', '2h');
    for (const host of hosts) {
      await waitFor(`a 2 h certificate on ${host.name}`, async () => {
        const cert = await nodeCert(host);
        const left = new Date(cert.validTo).getTime() - Date.now();
        // issued within the last minute or so: about 2 h left (the CA's 90-day default is far off)
        return left > 2 * 3_600_000 - 5 * 60_000 && left <= 2 * 3_600_000 ? true : undefined;
      }, LONG);
    }
  }, LONG * 2);

  it('a removed node is refused: its renewals fail and its certificate cannot renew at the CA', async () => {
    expect(await ok(manager(), 'node', 'rm', '--force', worker().nodeId)).toContain(worker().nodeId);
    await waitFor('the removed worker logging a refused renewal', () => (logLines(worker()).some((l) => l.includes('renewing the node certificate failed') && l.includes('has been removed from the cluster')) ? true : undefined), LONG);
    // Read only now: renewals run one at a time, so after a refused one nothing is being installed.
    const files = { cert: await readFile(certPath(worker(), 'node.crt'), 'utf8'), key: await readFile(certPath(worker(), 'node.key'), 'utf8'), ca: await readFile(certPath(worker(), 'ca.crt'), 'utf8') };
    expect(new X509Certificate(files.cert).checkPrivateKey(createPrivateKey(files.key))).toBe(true);
    await expect(
      renewNodeCertificate({ addr: managerCaAddr, current: { nodeId: worker().nodeId, role: NodeRole.NODE_ROLE_WORKER, certPem: files.cert, keyPem: files.key, caCertPem: files.ca } }),
    ).rejects.toThrow('has been removed from the cluster');
    // The manager keeps renewing its own.
    await waitForRenewals(manager(), 1);
  }, LONG * 2);
});
