import { JoinTokens, NodeRole } from '@flotilla/api';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_DIGEST_MISMATCH, CaError, INVALID_JOIN_TOKEN } from '../src/errors.js';
import { startNodeCaServer, RunningNodeCaServer } from '../src/grpc/node-ca-server.js';
import { fetchRootCaCertificate, getJoinTokens, getRouteKeys, joinCluster, renewNodeCertificate } from '../src/grpc/node-ca-client.js';
import { NodeCaState } from '../src/grpc/node-ca-service.js';
import { createJoinTokens, generateJoinToken, rotateJoinTokens } from '../src/join-token.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { CertRole } from '../src/roles.js';
import { createRootCa } from '../src/root-ca.js';
import { verifyNodeCertificate } from '../src/verify.js';
import { certificateKeySha256 } from '../src/public-key.js';

const clusterId = 'cluster-grpc-test';
const silent = pino({ level: 'silent' });

async function rejection(promise: Promise<unknown>): Promise<CaError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CaError);
    return err as CaError;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

describe('NodeCa gRPC service over TLS on loopback', () => {
  const rootCa = createRootCa({ clusterId });
  let tokens: JoinTokens = createJoinTokens(rootCa.digest);
  const denied = new Set<string>();
  const roleOverrides = new Map<string, CertRole>();
  const joined: string[] = [];
  const renewed: Array<{ nodeId: string; role: CertRole; previousRole: CertRole; addresses: string[] }> = [];
  const routeKeysNow = ['1'.repeat(64), '2'.repeat(64)];
  const state: NodeCaState = {
    clusterId,
    rootCa: () => rootCa,
    joinTokens: () => tokens,
    nodeCertExpiryMs: () => undefined,
    deniedNodeIds: () => denied,
    currentRole: (nodeId) => roleOverrides.get(nodeId),
    onNodeJoined: (event) => {
      joined.push(event.nodeId);
    },
    onNodeRenewed: (event) => {
      renewed.push(event);
    },
    routeKeys: () => routeKeysNow,
  };
  const managerIdentity = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
  let running: RunningNodeCaServer;
  let addr: string;

  beforeAll(async () => {
    running = await startNodeCaServer({ state, identity: managerIdentity, host: '127.0.0.1', port: 0, logger: silent });
    addr = `127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    await running?.stop();
  });

  it('serves the root CA to anyone', async () => {
    expect(await fetchRootCaCertificate({ addr })).toBe(rootCa.certPem);
  });

  it('a worker token gets a worker certificate for a key only the node holds', async () => {
    const creds = await joinCluster({ addr, token: tokens.worker });
    expect(creds.role).toBe(NodeRole.NODE_ROLE_WORKER);
    const cert = new X509Certificate(creds.certPem);
    expect(cert.subject).toContain('OU=flotilla-worker');
    expect(cert.subject).toContain(`O=${clusterId}`);
    expect(cert.subject).toContain(`CN=${creds.nodeId}`);
    expect(verifyNodeCertificate(creds.certPem, { caCertPem: rootCa.certPem, clusterId }).role).toBe(NodeRole.NODE_ROLE_WORKER);
    expect(creds.caCertPem).toBe(rootCa.certPem);
    expect(joined).toContain(creds.nodeId);
    // A worker runs no nats-server: it is told nothing of the managers' route keys.
    expect(creds.routeKeys).toBeUndefined();
  });

  it('a manager token gets a manager certificate with its addresses', async () => {
    const creds = await joinCluster({ addr, token: tokens.manager, addresses: ['127.0.0.12'] });
    expect(creds.role).toBe(NodeRole.NODE_ROLE_MANAGER);
    const cert = new X509Certificate(creds.certPem);
    expect(cert.subject).toContain('OU=flotilla-manager');
    expect(cert.checkIP('127.0.0.12')).toBe('127.0.0.12');
    // Its nats-server must pin the managers' keys before it can read the store.
    expect(creds.routeKeys).toEqual(routeKeysNow);
  });

  it('an unknown or malformed token is refused with "invalid join token"', async () => {
    const before = joined.length;
    const unknown = await rejection(joinCluster({ addr, token: generateJoinToken(rootCa.digest) }));
    expect(unknown.message).toBe(INVALID_JOIN_TOKEN);
    expect(unknown.code).toBe('invalid-join-token');
    const malformed = await rejection(joinCluster({ addr, token: 'SWMTKN-1-nope' }));
    expect(malformed.message).toBe(INVALID_JOIN_TOKEN);
    expect(joined.length).toBe(before);
  });

  it('a rotated token no longer works and its replacement does', async () => {
    const old = tokens.worker;
    tokens = rotateJoinTokens(tokens, 'worker', rootCa.digest);
    expect((await rejection(joinCluster({ addr, token: old }))).message).toBe(INVALID_JOIN_TOKEN);
    expect((await joinCluster({ addr, token: tokens.worker })).role).toBe(NodeRole.NODE_ROLE_WORKER);
  });

  it('refuses to join when the CA shown does not match the token digest, before sending the token', async () => {
    const before = joined.length;
    const impostorDigest = createRootCa({ clusterId }).digest;
    const secret = tokens.worker.split('-')[3];
    const token = `${generateJoinToken(impostorDigest).split('-').slice(0, 3).join('-')}-${secret}`;
    const err = await rejection(joinCluster({ addr, token }));
    expect(err.message).toBe(CA_DIGEST_MISMATCH);
    expect(err.code).toBe('ca-digest-mismatch');
    expect(joined.length).toBe(before);
  });

  describe('renewal', () => {
    let worker: NodeCredentials;
    beforeAll(async () => {
      worker = await joinCluster({ addr, token: tokens.worker });
    });

    it('with a valid certificate gives a new key and certificate for the same node', async () => {
      const renewed = await renewNodeCertificate({ addr, current: worker });
      expect(renewed.nodeId).toBe(worker.nodeId);
      expect(renewed.role).toBe(NodeRole.NODE_ROLE_WORKER);
      expect(renewed.keyPem).not.toBe(worker.keyPem);
      expect(new X509Certificate(renewed.certPem).serialNumber).not.toBe(new X509Certificate(worker.certPem).serialNumber);
    });

    it('re-issues with the role the cluster holds now', async () => {
      roleOverrides.set(worker.nodeId, NodeRole.NODE_ROLE_MANAGER);
      try {
        const promoted = await renewNodeCertificate({ addr, current: worker, addresses: ['127.0.0.13'] });
        expect(promoted.role).toBe(NodeRole.NODE_ROLE_MANAGER);
        expect(new X509Certificate(promoted.certPem).subject).toContain('OU=flotilla-manager');
        // The owner hears of the change (it records the node as a manager from then on), with the new
        // key and the one the node renewed with (the key its routes, if any, were opened with).
        expect(renewed.at(-1)).toEqual({
          nodeId: worker.nodeId,
          role: NodeRole.NODE_ROLE_MANAGER,
          previousRole: NodeRole.NODE_ROLE_WORKER,
          renewedWith: { publicKeySha256: certificateKeySha256(worker.certPem), notAfterMs: new Date(new X509Certificate(worker.certPem).validTo).getTime() },
          addresses: ['127.0.0.13'],
          issuerDigest: rootCa.digest,
          trustsOldRoot: false,
          certNotAfterMs: new Date(new X509Certificate(promoted.certPem).validTo).getTime(),
          certIssuerSubject: expect.stringContaining('CN=flotilla-root-ca'),
          publicKeySha256: certificateKeySha256(promoted.certPem),
        });
        expect(promoted.routeKeys).toEqual(routeKeysNow);
      } finally {
        roleOverrides.delete(worker.nodeId);
      }
    });

    it('without a client certificate is refused', async () => {
      const noCert = { ...worker, certPem: '', keyPem: '' };
      // renewNodeCertificate reads the cluster from the certificate, so drive the call with a certless channel directly.
      const { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS } = await import('../src/grpc/client-credentials.js');
      const { NodeCaClient, RenewNodeCertificateRequest } = await import('@flotilla/api');
      const { createCsr } = await import('../src/csr.js');
      const { fromServiceError } = await import('../src/grpc/status.js');
      const client = new NodeCaClient(addr, managerChannelCredentials({ caCertPem: noCert.caCertPem, clusterId }), MANAGER_CHANNEL_OPTIONS);
      try {
        const err = await new Promise<CaError>((resolve, reject) => {
          client.renewNodeCertificate(RenewNodeCertificateRequest.fromPartial({ csr: Buffer.from(createCsr(worker.nodeId).csrPem) }), (e) => {
            if (e) resolve(fromServiceError(e, 'renewing'));
            else reject(new Error('renewal without a certificate succeeded'));
          });
        });
        expect(err.code).toBe('certificate-invalid');
        expect(err.message).toContain("needs a client certificate issued by the cluster's root CA");
      } finally {
        client.close();
      }
    });

    it('with a certificate from another CA is refused', async () => {
      const otherCa = createRootCa({ clusterId });
      const foreign = issueLocalNodeCredentials({ rootCa: otherCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, nodeId: worker.nodeId });
      const err = await rejection(renewNodeCertificate({ addr, current: { ...foreign, caCertPem: rootCa.certPem } }));
      expect(err.code).toBe('certificate-invalid');
    });

    it('with an expired certificate is refused', async () => {
      const { createCsr } = await import('../src/csr.js');
      const { signNodeCertificate } = await import('../src/node-cert.js');
      const { csrPem, keyPem } = createCsr(worker.nodeId);
      // Issued two days ago for the minimum hour: expired 47 hours ago, same node, same CA.
      const certPem = signNodeCertificate({
        rootCa,
        csrPem,
        nodeId: worker.nodeId,
        role: NodeRole.NODE_ROLE_WORKER,
        clusterId,
        expiryMs: 3_600_000,
        now: new Date(Date.now() - 2 * 24 * 3_600_000),
      });
      expect(new Date(new X509Certificate(certPem).validTo).getTime()).toBeLessThan(Date.now());
      const err = await rejection(renewNodeCertificate({ addr, current: { ...worker, certPem, keyPem } }));
      expect(err.code).toBe('certificate-invalid');
    });

    it('for a denied (removed) node is refused', async () => {
      const victim = await joinCluster({ addr, token: tokens.worker });
      denied.add(victim.nodeId);
      try {
        const err = await rejection(renewNodeCertificate({ addr, current: victim }));
        expect(err.code).toBe('node-denied');
        expect(err.message).toBe(`node ${victim.nodeId} has been removed from the cluster: its certificate is refused`);
      } finally {
        denied.delete(victim.nodeId);
      }
    });
  });

  describe('manager-only calls', () => {
    it('a manager certificate reads the join tokens', async () => {
      expect(await getJoinTokens({ addr, credentials: managerIdentity })).toEqual(tokens);
    });

    it('a worker certificate is refused', async () => {
      const worker = await joinCluster({ addr, token: tokens.worker });
      const err = await rejection(getJoinTokens({ addr, credentials: worker }));
      expect(err.code).toBe('permission-denied');
      expect(err.message).toContain('for flotilla-manager nodes only');
      expect((await rejection(getRouteKeys({ addr, credentials: worker }))).code).toBe('permission-denied');
    });

    it('a manager certificate reads the route keys (a manager that cannot route asks here)', async () => {
      expect(await getRouteKeys({ addr, credentials: managerIdentity })).toEqual(routeKeysNow);
    });

    it('a denied manager is refused by the verify hook on every call', async () => {
      const manager = await joinCluster({ addr, token: tokens.manager });
      expect(await getJoinTokens({ addr, credentials: manager })).toEqual(tokens);
      denied.add(manager.nodeId);
      try {
        const err = await rejection(getJoinTokens({ addr, credentials: manager }));
        expect(err.code).toBe('node-denied');
      } finally {
        denied.delete(manager.nodeId);
      }
    });
  });

  it('a joining node refuses a server whose certificate is not a manager of the cluster', async () => {
    const workerIdentity = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_WORKER });
    const fake = await startNodeCaServer({ state, identity: workerIdentity, host: '127.0.0.1', port: 0, logger: silent });
    try {
      const before = joined.length;
      const err = await rejection(joinCluster({ addr: `127.0.0.1:${fake.port}`, token: tokens.worker, timeoutMs: 3000 }));
      expect(err.code).toBe('unavailable');
      expect(joined.length).toBe(before);
    } finally {
      await fake.stop();
    }
  });
});
