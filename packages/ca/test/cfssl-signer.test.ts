import { NodeRole } from '@flotilla/api';
import { ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cfsslSigner, signerFromExternalCas } from '../src/cfssl-signer.js';
import { createCsr } from '../src/csr.js';
import { CaError } from '../src/errors.js';
import { joinCluster } from '../src/grpc/node-ca-client.js';
import { startNodeCaServer } from '../src/grpc/node-ca-server.js';
import { newNodeId } from '../src/ids.js';
import { createJoinTokens } from '../src/join-token.js';
import { issueLocalNodeCredentials } from '../src/local-issue.js';
import { createRootCa, RootCaMaterial } from '../src/root-ca.js';

const clusterId = 'cluster-ext';
/** The CFSSL profile's validity: proof the certificate came from CFSSL, not our local signer (90 days). */
const CFSSL_EXPIRY_HOURS = 100;

/** cfssl 1.2 cannot report a port it picked, so take a free one from the kernel and hand it over. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForTcp(port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`cfssl did not listen on ${port} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectCaError(promise: Promise<unknown>, code: string, text: string | RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CaError);
    expect((err as CaError).code).toBe(code);
    expect((err as CaError).message).toMatch(text);
    return;
  }
  throw new Error('expected a refusal');
}

describe('external CA over the CFSSL protocol (real cfssl serve)', () => {
  // The external CA holds this key; the cluster only ever sees the certificate.
  const externalCa = createRootCa({ clusterId });
  const clusterRoot: RootCaMaterial = { certPem: externalCa.certPem, keyPem: '', digest: externalCa.digest };
  let dir: string;
  let cfssl: ChildProcess | undefined;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ca-cfssl-'));
    writeFileSync(join(dir, 'ca.pem'), externalCa.certPem);
    writeFileSync(join(dir, 'ca-key.pem'), externalCa.keyPem, { mode: 0o600 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        signing: {
          default: { usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'], expiry: `${CFSSL_EXPIRY_HOURS}h` },
          profiles: { serveronly: { usages: ['digital signature', 'key encipherment', 'server auth'], expiry: '10h' } },
        },
      }),
    );
    const port = await freePort();
    cfssl = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', 'ca.pem', '-ca-key', 'ca-key.pem', '-config', 'config.json'], {
      cwd: dir,
      stdio: 'ignore',
    });
    url = `http://127.0.0.1:${port}`;
    await waitForTcp(port, 10_000);
  });

  afterAll(async () => {
    if (cfssl?.pid !== undefined && cfssl.exitCode === null) {
      const exited = new Promise((resolve) => cfssl?.once('exit', resolve));
      process.kill(cfssl.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs a worker certificate with our identity, checked against the root CA', async () => {
    const nodeId = newNodeId();
    const signer = cfsslSigner({ url, caCertPem: externalCa.certPem });
    const certPem = await signer.sign({ csrPem: createCsr().csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId, addresses: ['10.0.0.9'] });
    const cert = new X509Certificate(certPem);
    expect(cert.checkIssued(new X509Certificate(externalCa.certPem))).toBe(true);
    expect(cert.subject).toContain(`CN=${nodeId}`);
    expect(cert.subject).toContain('OU=flotilla-worker');
    expect(cert.subject).toContain(`O=${clusterId}`);
    expect(cert.subjectAltName).toBe(`DNS:${nodeId}, DNS:flotilla-worker`);
    const hours = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000;
    expect(hours).toBeGreaterThan(CFSSL_EXPIRY_HOURS - 1);
    expect(hours).toBeLessThanOrEqual(CFSSL_EXPIRY_HOURS + 1);
  });

  it('puts manager addresses in the SANs', async () => {
    const signer = cfsslSigner({ url, caCertPem: externalCa.certPem });
    const cert = new X509Certificate(
      await signer.sign({ csrPem: createCsr().csrPem, nodeId: newNodeId(), role: NodeRole.NODE_ROLE_MANAGER, clusterId, addresses: ['10.0.0.9'] }),
    );
    expect(cert.subject).toContain('OU=flotilla-manager');
    expect(cert.checkIP('10.0.0.9')).toBe('10.0.0.9');
  });

  it('refuses an answer signed by a CA other than the cluster root', async () => {
    const signer = cfsslSigner({ url, caCertPem: createRootCa({ clusterId }).certPem });
    await expectCaError(
      signer.sign({ csrPem: createCsr().csrPem, nodeId: newNodeId(), role: NodeRole.NODE_ROLE_WORKER, clusterId, addresses: [] }),
      'certificate-invalid',
      /returned an unusable certificate.*not signed by the cluster's root CA/,
    );
  });

  it('refuses a profile without client auth, and reports CFSSL errors and an unreachable CFSSL', async () => {
    const request = { csrPem: createCsr().csrPem, nodeId: newNodeId(), role: NodeRole.NODE_ROLE_WORKER as const, clusterId, addresses: [] };
    await expectCaError(cfsslSigner({ url, caCertPem: externalCa.certPem, profile: 'serveronly' }).sign(request), 'certificate-invalid', 'both server auth and client auth');
    await expectCaError(cfsslSigner({ url, caCertPem: externalCa.certPem }).sign({ ...request, csrPem: 'junk' }), 'invalid-argument', 'not a valid PEM');
    const closed = await freePort();
    await expectCaError(cfsslSigner({ url: `http://127.0.0.1:${closed}`, caCertPem: externalCa.certPem }).sign(request), 'unavailable', /ECONNREFUSED/);
  });

  it('a node joins a cluster whose certificates come from CFSSL', async () => {
    const tokens = createJoinTokens(clusterRoot.digest);
    const signer = cfsslSigner({ url, caCertPem: externalCa.certPem });
    // The first manager's own certificate also comes from the external CA.
    const managerCsr = createCsr();
    const managerId = newNodeId();
    const managerCert = await signer.sign({ csrPem: managerCsr.csrPem, nodeId: managerId, role: NodeRole.NODE_ROLE_MANAGER, clusterId, addresses: [] });
    const server = await startNodeCaServer({
      state: {
        clusterId,
        rootCa: () => clusterRoot,
        joinTokens: () => tokens,
        nodeCertExpiryMs: () => undefined,
        deniedNodeIds: () => [],
        externalSigner: () => signer,
      },
      identity: { nodeId: managerId, role: NodeRole.NODE_ROLE_MANAGER, certPem: managerCert, keyPem: managerCsr.keyPem, caCertPem: externalCa.certPem },
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
    });
    try {
      const creds = await joinCluster({ addr: `127.0.0.1:${server.port}`, token: tokens.worker });
      const cert = new X509Certificate(creds.certPem);
      expect(cert.subject).toContain('OU=flotilla-worker');
      const hours = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000;
      expect(Math.round(hours)).toBe(CFSSL_EXPIRY_HOURS);
    } finally {
      await server.stop();
    }
  });

  it('the local signer is still used without an external CA (control for the expiry check above)', () => {
    const local = issueLocalNodeCredentials({ rootCa: externalCa, clusterId, role: NodeRole.NODE_ROLE_WORKER });
    const cert = new X509Certificate(local.certPem);
    expect(Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000)).not.toBe(CFSSL_EXPIRY_HOURS);
  });
});

describe('signerFromExternalCas', () => {
  const caCertPem = createRootCa({ clusterId }).certPem;
  it('is undefined without external CAs and a cfssl signer with one', () => {
    expect(signerFromExternalCas([], caCertPem)).toBeUndefined();
    expect(signerFromExternalCas([{ protocol: 'CFSSL', url: 'https://ca.example:8888', options: { profile: 'node' } }], caCertPem)?.kind).toBe('cfssl');
  });
  it('refuses unknown protocols and bad URLs', () => {
    expect(() => signerFromExternalCas([{ protocol: 'acme', url: 'https://x', options: {} }], caCertPem)).toThrow('protocol "acme" is not supported');
    expect(() => signerFromExternalCas([{ protocol: 'cfssl', url: 'not a url', options: {} }], caCertPem)).toThrow('is not a URL');
    expect(() => signerFromExternalCas([{ protocol: 'cfssl', url: 'ftp://x', options: {} }], caCertPem)).toThrow('must be http or https');
  });
});
