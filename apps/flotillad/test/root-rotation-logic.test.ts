import { NodeRole, type Cluster, type Node, type Secret } from '@flotilla/api';
import { createJoinTokens, createRootCa, deriveSecretsKey, openSecretValue, parseJoinToken, sealSecretValue } from '@flotilla/ca';
import { describe, expect, it } from 'vitest';
import { storeRootCaSource } from '../src/manager/root-ca-source.js';
import { clusterStartingRotation, newRootCurrent, nodeCertRecords, resealedSecrets, rootCaView, rotationFinished, rotationRefusal } from '../src/manager/root-rotation.js';

const CLUSTER = 'rotlogic';
const oldRoot = createRootCa({ clusterId: CLUSTER });
const newRoot = createRootCa({ clusterId: CLUSTER });
const baseCluster: Cluster = {
  id: CLUSTER,
  spec: {},
  rootCa: { caCert: Buffer.from(oldRoot.certPem), caKey: Buffer.from(oldRoot.keyPem), caCertHash: oldRoot.digest, joinTokens: createJoinTokens(oldRoot.digest) },
  gossipKeys: [],
  deniedNodeIds: [],
  dataPathPort: 0,
};
const oldKey = deriveSecretsKey(oldRoot.keyPem, CLUSTER);
const secret = (id: string, value: string): Secret => ({ id, spec: { annotations: { name: id, labels: {} }, data: Buffer.alloc(0) }, sealed: sealSecretValue(oldKey, id, Buffer.from(value)), size: value.length });

describe('root CA rotation transactions', () => {
  const rotating = clusterStartingRotation(baseCluster, oldRoot, 1_000, newRoot);
  const roots = storeRootCaSource(() => rotating, CLUSTER, oldRoot);

  it('starting records the new root, its key and the cross-signed certificate, and refuses a second start', () => {
    expect(rotationRefusal(baseCluster)).toBeUndefined();
    expect(roots.rotation()).toMatchObject({ oldRootDropped: false, oldRootPem: oldRoot.certPem });
    expect(roots.rotation()!.newRoot.digest).toBe(newRoot.digest);
    expect(rotationRefusal(rotating)).toContain('already in progress');
  });

  it('refuses an external-CA swarm with a clear message', () => {
    const external = { ...baseCluster, spec: { caConfig: { nodeCertExpiryMs: 0, externalCas: [{ protocol: 'cfssl', url: 'http://127.0.0.1:1', options: {} }] } } };
    expect(rotationRefusal(external)).toContain('external CA');
  });

  it('making the new root current rotates both tokens to its digest and re-seals every secret under its key', () => {
    const { cluster, secrets } = newRootCurrent(rotating, roots.rotation()!, oldRoot.keyPem, [secret('s1', 'one'), secret('s2', 'two')]);
    expect(cluster.rootCa?.caCertHash).toBe(newRoot.digest);
    expect(Buffer.from(cluster.rootCa!.caCert).toString()).toBe(newRoot.certPem);
    for (const token of [cluster.rootCa!.joinTokens!.worker, cluster.rootCa!.joinTokens!.manager]) expect(parseJoinToken(token).caDigest).toBe(newRoot.digest);
    expect(cluster.rootCa!.joinTokens!.worker).not.toBe(baseCluster.rootCa!.joinTokens!.worker);
    expect(cluster.rootCa!.rotation?.oldRootDropped).toBe(true);
    const newKey = deriveSecretsKey(newRoot.keyPem, CLUSTER);
    expect(secrets.map((s) => openSecretValue(newKey, s.id, s.sealed).toString())).toEqual(['one', 'two']);
    expect(() => openSecretValue(oldKey, 's1', secrets[0]!.sealed)).toThrow('sealed with key');
    // The source now follows the new root: the CA signs with it and managers seal with its key.
    const after = storeRootCaSource(() => cluster, CLUSTER, oldRoot);
    expect(after.current().digest).toBe(newRoot.digest);
    expect(after.secretsKey().id).toBe(newKey.id);
    const finished = rotationFinished(cluster);
    expect(finished.rootCa?.rotation).toBeUndefined();
    expect(finished.rootCa?.caCertHash).toBe(newRoot.digest);
  });

  it('at the end re-seals a secret still under the old key (kept in the record until then), and only that one', () => {
    expect(Buffer.from(rotating.rootCa!.rotation!.oldCaKey).toString()).toBe(oldRoot.keyPem);
    const newKey = deriveSecretsKey(newRoot.keyPem, CLUSTER);
    const already: Secret = { ...secret('done', 'x'), sealed: sealSecretValue(newKey, 'done', Buffer.from('x')) };
    const stragglers = resealedSecrets(CLUSTER, oldRoot.keyPem, newRoot.keyPem, [already, secret('late', 'made-as-the-root-changed')]);
    expect(stragglers.map((s) => s.id)).toEqual(['late']);
    expect(openSecretValue(newKey, 'late', stragglers[0]!.sealed).toString()).toBe('made-as-the-root-changed');
  });

  it('counts nodes by the root that issued them, leaving out removed ones, and shows whole bars outside a rotation', () => {
    const node = (id: string, rootDigest?: string): Node => ({ id, role: NodeRole.NODE_ROLE_WORKER, ...(rootDigest ? { certIssuer: { rootDigest, trustsOldRoot: true } } : {}) }) as Node;
    expect(nodeCertRecords([node('a', newRoot.digest), node('b'), node('gone', oldRoot.digest)], ['gone'])).toEqual([
      { nodeId: 'a', issuerDigest: newRoot.digest, trustsOldRoot: true },
      { nodeId: 'b', issuerDigest: '', trustsOldRoot: false },
    ]);
    expect(rootCaView(oldRoot.certPem, undefined, undefined, 3)).toMatchObject({ rotating: false, total: 3, tlsMoved: 3, caMoved: 3, desiredRootCaCertificate: '' });
  });
});
