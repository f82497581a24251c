// The control API on a manager's port 2377 over mutual TLS (issue 5, "mTLS everywhere"): one
// manager (127.0.0.140) and one worker (127.0.0.141), real daemons, real nats-server, real Docker.
// `flotilla -H tcp://` with the manager's certificates works; the worker's certificate, none, one
// from another CA, an expired one and a removed node's are refused, and nothing is created.
import { ControlClient, NodeRole, type ListServicesResponse } from '@flotilla/api';
import { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS, readNodeIdentity } from '@flotilla/ca';
import { status, type ServiceError } from '@grpc/grpc-js';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { RENEW_AFTER_ENV } from '../../src/swarm/cert-renewal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesDir, expiredManagerCert, foreignManagerCert, readTlsFiles, writeTlsDir, type TlsFiles } from '../helpers/forged-certs.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { runCli, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.140', '127.0.0.141'] as const;
const RENEWING_ADDR = '127.0.0.142';
const RENEW_AFTER_MS = 4_000;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

let cluster: LoopbackCluster;
let manager: LoopbackHost;
let worker: LoopbackHost;
let clusterId: string;
let remote: string;

/** The CLI against the first cluster's manager port 2377 with the certificates in `tlsDir`. */
const overTcp = (tlsDir: string, ...args: string[]): Promise<Finished> => runCli(['-H', remote, '--tls-dir', tlsDir, ...args]);

async function okOverTcp(tlsDir: string, ...args: string[]): Promise<string> {
  return okAt(remote, tlsDir, ...args);
}

/** The CLI against the manager port `at`; a non-zero exit throws with its stderr. */
async function okAt(at: string, tlsDir: string, ...args: string[]): Promise<string> {
  const run = await runCli(['-H', at, '--tls-dir', tlsDir, ...args]);
  if (run.code !== 0) throw new Error(`flotilla -H ${at} ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

/** A refusal is one line on stderr, nothing on stdout, and a non-zero exit. */
function expectRefusedInOneLine(run: Finished, pattern: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

/** ListServices straight through grpc-js, presenting `client` (or no certificate) and trusting the cluster's CA. */
function listServicesDirect(caCertPem: string, client?: Pick<TlsFiles, 'certPem' | 'keyPem'>): Promise<ListServicesResponse> {
  const credentials = managerChannelCredentials({ caCertPem, clusterId, ...(client ? { certPem: client.certPem, keyPem: client.keyPem } : {}) });
  const control = new ControlClient(remote.slice('tcp://'.length), credentials, MANAGER_CHANNEL_OPTIONS);
  return new Promise<ListServicesResponse>((resolve, reject) => {
    control.listServices({}, (err: ServiceError | null, res: ListServicesResponse) => (err ? reject(err) : resolve(res)));
  }).finally(() => control.close());
}

const serviceNames = async (): Promise<string[]> =>
  (await cluster.ok(manager, 'service', 'ls')).split('\n').slice(1).filter(Boolean).map((line) => line.split(/\s+/)[1]!);

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-tls-mgr', 'e2e-tls-wrk'], tmpPrefix: 'flotillad-control-tls-' });
  [manager, worker] = cluster.hosts as [LoopbackHost, LoopbackHost];
  const out = await cluster.ok(manager, 'swarm', 'init', '--advertise-addr', manager.addr, '--listen-addr', `${manager.addr}:${cluster.joinPort}`);
  manager.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const token = (await cluster.ok(manager, 'swarm', 'join-token', '-q', 'worker')).trim();
  await cluster.ok(worker, 'swarm', 'join', '--advertise-addr', worker.addr, '--token', token, `${manager.addr}:${cluster.joinPort}`);
  const workerCert = (await readTlsFiles(certificatesDir(worker.dataDir))).certPem;
  worker.nodeId = readNodeIdentity(new X509Certificate(workerCert)).nodeId;
  clusterId = readNodeIdentity(new X509Certificate(workerCert)).clusterId;
  remote = `tcp://${manager.addr}:${cluster.joinPort}`;
  await waitFor('both nodes Ready', async () => {
    const ls = await cluster.cli(manager, 'node', 'ls');
    return ls.code === 0 && ls.stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 2 ? true : undefined;
  }, LONG);
}, 2 * LONG);

afterAll(async () => {
  await cluster?.stop();
});

describe('the control API on 2377', () => {
  it("with the manager's certificates, service create / ls / ps work over tcp://", async () => {
    const managerTls = certificatesDir(manager.dataDir);
    const id = (await okOverTcp(managerTls, 'service', 'create', '--detach', '--name', 'tls-web', IMAGE, 'sleep', '3600')).trim();
    expect(id).toMatch(/^\w+$/);
    expect(await okOverTcp(managerTls, 'service', 'ls')).toMatch(/\stls-web\s+replicated\s+\d\/1\s/);
    await waitFor('tls-web running (service ps over tcp://)', async () => {
      const ps = await okOverTcp(managerTls, 'service', 'ps', 'tls-web');
      return /\sRunning\s/.test(ps) ? true : undefined;
    }, LONG);
  }, 2 * LONG);

  it("refuses the worker's certificate: permission denied in one line, and nothing is created", async () => {
    const workerTls = certificatesDir(worker.dataDir);
    const ls = await overTcp(workerTls, 'service', 'ls');
    expectRefusedInOneLine(ls, /^flotilla: permission denied by flotillad at tcp:\/\/127\.0\.0\.140:\d+: flotilla\.Control\/ListServices is for flotilla-manager certificates only; node \w+ presented a flotilla-worker certificate$/m);
    const create = await overTcp(workerTls, 'service', 'create', '--detach', '--name', 'tls-from-worker', IMAGE, 'sleep', '3600');
    expectRefusedInOneLine(create, /permission denied .*flotilla\.Control\/CreateService .*flotilla-worker certificate/);
    expect(await serviceNames()).toEqual(['tls-web']);
  }, LONG);

  it('refuses a client without a certificate: UNAUTHENTICATED', async () => {
    const { caCertPem } = await readTlsFiles(certificatesDir(manager.dataDir));
    await expect(listServicesDirect(caCertPem)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/^a client certificate is required for the control API/),
    });
    // The same listener still serves joins, which need no certificate: the worker joined through it.
  }, LONG);

  it('another CA: the CLI with a foreign cluster\'s files fails the TLS handshake; a foreign client certificate is unauthenticated', async () => {
    const foreign = foreignManagerCert(clusterId);
    const foreignDir = await writeTlsDir(join(cluster.dir, 'foreign-tls'), foreign);
    // The client trusts only the foreign CA, so the manager's certificate fails verification.
    const run = await overTcp(foreignDir, 'service', 'ls');
    expectRefusedInOneLine(run, /^flotilla: cannot connect to flotillad at tcp:\/\/127\.0\.0\.140:\d+: /);
    // Trusting the real CA but presenting the foreign certificate: TLS leaves it unverified, so the call has no identity.
    const { caCertPem } = await readTlsFiles(certificatesDir(manager.dataDir));
    await expect(listServicesDirect(caCertPem, foreign)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  }, LONG);

  it('refuses an expired manager certificate signed by the cluster CA', async () => {
    const expired = await expiredManagerCert(manager.dataDir, clusterId);
    const expiredDir = await writeTlsDir(join(cluster.dir, 'expired-tls'), expired);
    expectRefusedInOneLine(await overTcp(expiredDir, 'service', 'ls'), /did not accept this client: a client certificate is required for the control API/);
    await expect(listServicesDirect(expired.caCertPem, expired)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  }, LONG);

  it('node inspect shows each node\'s TLS info: the issuer (root CA subject) and the certificate expiry', async () => {
    const managerTls = certificatesDir(manager.dataDir);
    for (const host of [manager, worker]) {
      const cert = new X509Certificate((await readTlsFiles(certificatesDir(host.dataDir))).certPem);
      const pretty = await okOverTcp(managerTls, 'node', 'inspect', '--pretty', host.nodeId);
      expect(pretty).toContain('TLS Info:\n');
      expect(pretty).toContain(` Certificate Expiry: ${new Date(cert.validTo).toISOString()}\n`);
      expect(pretty).toMatch(/ Issuer Subject: .*CN=flotilla-root-ca/);
      expect(pretty).toContain(`O=${clusterId}`);
      // swarm.Node's TLSInfo: the root the node trusts, the issuer's subject and key (DER, base64)
      const [json] = JSON.parse(await okOverTcp(managerTls, 'node', 'inspect', host.nodeId)) as Array<{ Description: { TLSInfo: { TrustRoot?: string; CertIssuerSubject?: string; CertIssuerPublicKey?: string } } }>;
      const root = new X509Certificate(json!.Description.TLSInfo.TrustRoot ?? '');
      expect(cert.verify(root.publicKey)).toBe(true);
      expect(json!.Description.TLSInfo.CertIssuerPublicKey).toBe(root.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
      expect(json!.Description.TLSInfo.CertIssuerSubject).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    const self = await okOverTcp(managerTls, 'node', 'inspect');
    expect((JSON.parse(self) as Array<{ Spec: { Role: string } }>)[0]?.Spec.Role).toBe('manager');
  }, LONG);

  it("after node rm --force of the worker, its certificate is refused as a removed node's", async () => {
    await okOverTcp(certificatesDir(manager.dataDir), 'node', 'rm', '--force', worker.nodeId);
    const run = await overTcp(certificatesDir(worker.dataDir), 'service', 'ls');
    expectRefusedInOneLine(run, new RegExp(`^flotilla: permission denied by flotillad at tcp://127\\.0\\.0\\.140:\\d+: node ${worker.nodeId} has been removed from the cluster: its certificate is refused$`, 'm'));
    expect(await serviceNames()).toEqual(['tls-web']);
  }, LONG);
});

describe('the control API on 2377 across certificate renewals', () => {
  let renewing: LoopbackCluster;
  let host: LoopbackHost;
  let at: string;

  beforeAll(async () => {
    // A manager that renews its certificate every few seconds (the test/ops knob), on its own address.
    renewing = await startLoopbackCluster({
      addrs: [RENEWING_ADDR],
      names: ['e2e-tls-renew'],
      tmpPrefix: 'flotillad-control-tls-renew-',
      daemonEnv: { [RENEW_AFTER_ENV]: String(RENEW_AFTER_MS) },
    });
    host = renewing.hosts[0]!;
    const out = await renewing.ok(host, 'swarm', 'init', '--advertise-addr', host.addr, '--listen-addr', `${host.addr}:${renewing.joinPort}`);
    host.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    at = `tcp://${host.addr}:${renewing.joinPort}`;
  }, 2 * LONG);

  afterAll(async () => {
    await renewing?.stop();
  });

  /** The serial of the certificate the manager's port 2377 presents now. */
  const servedSerial = (caCertPem: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: host.addr, port: renewing.joinPort, ca: caCertPem, servername: 'flotilla-manager', ALPNProtocols: ['h2'] }, () => {
        const raw = socket.getPeerCertificate().raw;
        socket.destroy();
        resolve(new X509Certificate(raw).serialNumber);
      });
      socket.once('error', reject);
    });

  /** node.crt and node.key of one renewal (the renewer writes them one after the other). */
  async function consistentSnapshot(dir: string): Promise<TlsFiles> {
    return waitFor('a matching node.crt and node.key', async () => {
      const files = await readTlsFiles(certificatesDir(host.dataDir));
      return new X509Certificate(files.certPem).checkPrivateKey(createPrivateKey(files.keyPem)) ? files : undefined;
    }).then(async (files) => {
      await writeTlsDir(dir, files);
      return files;
    });
  }

  it('tcp:// keeps working, the listener presents each renewed certificate, and node inspect follows the renewals', async () => {
    const first = new X509Certificate((await readTlsFiles(certificatesDir(host.dataDir))).certPem).serialNumber;
    const seen = new Set([first]);
    await waitFor('two certificate renewals', async () => {
      seen.add(new X509Certificate((await readTlsFiles(certificatesDir(host.dataDir))).certPem).serialNumber);
      return seen.size >= 3 ? true : undefined;
    }, LONG);
    const files = await consistentSnapshot(join(renewing.dir, 'renewed-tls'));
    expect(new X509Certificate(files.certPem).serialNumber).not.toBe(first);
    expect(await okAt(at, join(renewing.dir, 'renewed-tls'), 'service', 'ls')).toMatch(/^ID\s+NAME/);
    await waitFor('the listener presenting the certificate in node.crt', async () => {
      const onDisk = new X509Certificate((await readTlsFiles(certificatesDir(host.dataDir))).certPem).serialNumber;
      return (await servedSerial(files.caCertPem)) === onDisk && onDisk !== first ? true : undefined;
    }, LONG);
    await waitFor("node inspect's TLS info matching the current node.crt", async () => {
      const cert = new X509Certificate((await readTlsFiles(certificatesDir(host.dataDir))).certPem);
      const pretty = await okAt(at, join(renewing.dir, 'renewed-tls'), 'node', 'inspect', '--pretty', host.nodeId);
      return pretty.includes(` Certificate Expiry: ${new Date(cert.validTo).toISOString()}\n`) && cert.serialNumber !== first ? true : undefined;
    }, LONG);
  }, 3 * LONG);
});
