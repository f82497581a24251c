import { NodeRole } from '@flotilla/api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJoinTokens,
  createRootCa,
  crossSignRootCa,
  issueLocalNodeCredentials,
  issuerDigestIn,
  joinCluster,
  renewNodeCertificate,
  splitPemCertificates,
  startNodeCaServer,
  type NodeCaState,
  type RootCaMaterial,
  type RootRotationRecord,
  type RunningNodeCaServer,
} from '../src/index.js';

const clusterId = 'cluster-rotation-grpc';
const silent = pino({ level: 'silent' });

describe('NodeCa during a root CA rotation (real gRPC over TLS on 127.0.0.1)', () => {
  const oldRoot = createRootCa({ clusterId });
  const newRoot = createRootCa({ clusterId });
  let current: RootCaMaterial = oldRoot;
  let rotation: RootRotationRecord | undefined;
  const issued = new Map<string, { issuerDigest: string; trustsOldRoot: boolean }>();
  const state: NodeCaState = {
    clusterId,
    rootCa: () => current,
    rotation: () => rotation,
    joinTokens: () => tokens,
    nodeCertExpiryMs: () => undefined,
    deniedNodeIds: () => [],
    onNodeJoined: (e) => void issued.set(e.nodeId, { issuerDigest: e.issuerDigest, trustsOldRoot: e.trustsOldRoot }),
    onNodeRenewed: (e) => void issued.set(e.nodeId, { issuerDigest: e.issuerDigest, trustsOldRoot: e.trustsOldRoot }),
  };
  const tokens = createJoinTokens(oldRoot.digest);
  let server: RunningNodeCaServer;
  let addr: string;

  beforeAll(async () => {
    const identity = issueLocalNodeCredentials({ rootCa: oldRoot, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
    server = await startNodeCaServer({ state, identity, host: '127.0.0.1', port: 0, logger: silent });
    addr = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('moves a node to the new root and back to a single trusted root, refusing the old root at the end', async () => {
    const moving = await joinCluster({ addr, token: tokens.worker });
    const stayingBehind = await joinCluster({ addr, token: tokens.worker });
    expect(issued.get(moving.nodeId)).toEqual({ issuerDigest: oldRoot.digest, trustsOldRoot: false });

    rotation = { newRoot, crossSignedPem: crossSignRootCa(oldRoot, newRoot), oldRootPem: oldRoot.certPem, oldRootDropped: false };
    const migrated = await renewNodeCertificate({ addr, current: moving });
    expect(splitPemCertificates(migrated.certPem)).toHaveLength(2); // leaf + cross-signed
    expect(splitPemCertificates(migrated.caCertPem)).toHaveLength(2); // new + old
    expect(issuerDigestIn(migrated.certPem, migrated.caCertPem)).toBe(newRoot.digest);
    expect(issued.get(moving.nodeId)).toEqual({ issuerDigest: newRoot.digest, trustsOldRoot: true });
    // A node joining now is issued by the new root too, although its token pins the old one.
    const lateJoiner = await joinCluster({ addr, token: tokens.worker });
    expect(issued.get(lateJoiner.nodeId)?.issuerDigest).toBe(newRoot.digest);
    // The migrated node's new-root certificate is accepted by a server still presenting an old-root one.
    const again = await renewNodeCertificate({ addr, current: migrated });
    expect(issuerDigestIn(again.certPem, again.caCertPem)).toBe(newRoot.digest);

    // The new root becomes current; the manager switches to a new-root certificate of its own.
    current = newRoot;
    rotation = { ...rotation, oldRootDropped: true };
    const managerNow = issueLocalNodeCredentials({ rootCa: newRoot, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
    server.credentials.updateIdentity({ certPem: managerNow.certPem, keyPem: managerNow.keyPem, caCertPem: newRoot.certPem });
    const settled = await renewNodeCertificate({ addr, current: again });
    expect(splitPemCertificates(settled.certPem)).toHaveLength(1);
    expect(settled.caCertPem).toBe(newRoot.certPem);
    expect(issued.get(moving.nodeId)).toEqual({ issuerDigest: newRoot.digest, trustsOldRoot: false });

    // A certificate from the old root no longer gets anything (its holder cannot even verify the manager).
    await expect(renewNodeCertificate({ addr, current: stayingBehind })).rejects.toThrow();
    const forged = { ...stayingBehind, caCertPem: `${newRoot.certPem}${oldRoot.certPem}` };
    await expect(renewNodeCertificate({ addr, current: forged })).rejects.toThrow(/client certificate issued by the cluster's root CA/);
  });
});
