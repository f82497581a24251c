import { NodeRole } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import {
  createRootCa,
  crossSignRootCa,
  issuancePlan,
  issueLocalNodeCredentials,
  issuerDigestIn,
  needsRenewalFor,
  rotationNotice,
  rotationStatus,
  splitPemCertificates,
  verifyNodeCertificate,
  type NodeCertRecord,
  type RootRotationRecord,
} from '../src/index.js';

const CLUSTER = 'clusterplan';
const oldRoot = createRootCa({ clusterId: CLUSTER });
const newRoot = createRootCa({ clusterId: CLUSTER });
const migrating: RootRotationRecord = { newRoot, crossSignedPem: crossSignRootCa(oldRoot, newRoot), oldRootPem: oldRoot.certPem, oldRootDropped: false };
const dropping: RootRotationRecord = { ...migrating, oldRootDropped: true };

const node = (nodeId: string, issuerDigest: string, trustsOldRoot: boolean): NodeCertRecord => ({ nodeId, issuerDigest, trustsOldRoot });

describe('what the CA issues during a root CA rotation', () => {
  it('outside a rotation: the current root signs and is trusted alone, the leaf goes bare', () => {
    const plan = issuancePlan(oldRoot, undefined);
    expect(plan.signWith).toBe(oldRoot);
    expect(plan.trust).toBe(oldRoot.certPem);
    expect(plan.chain('LEAF\n')).toBe('LEAF\n');
    expect(plan).toMatchObject({ issuerDigest: oldRoot.digest, trustsOldRoot: false });
  });

  it('while migrating: the new root signs, the chain carries the cross-signed root, both roots are trusted', () => {
    const plan = issuancePlan(oldRoot, migrating);
    expect(plan.signWith).toBe(newRoot);
    expect(splitPemCertificates(plan.trust)).toHaveLength(2);
    expect(splitPemCertificates(plan.chain('-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n'))).toHaveLength(2);
    expect(plan).toMatchObject({ issuerDigest: newRoot.digest, trustsOldRoot: true });
    const leaf = issueLocalNodeCredentials({ rootCa: plan.signWith, clusterId: CLUSTER, role: NodeRole.NODE_ROLE_WORKER });
    expect(verifyNodeCertificate(plan.chain(leaf.certPem), { caCertPem: plan.trust, clusterId: CLUSTER }).role).toBe(NodeRole.NODE_ROLE_WORKER);
    expect(() => verifyNodeCertificate(leaf.certPem, { caCertPem: oldRoot.certPem })).toThrow("not signed by the cluster's root CA");
  });

  it('once the new root is current: it signs and is trusted alone', () => {
    const plan = issuancePlan(newRoot, dropping);
    expect(plan.signWith).toBe(newRoot);
    expect(plan.trust).toBe(newRoot.certPem);
    expect(plan.trustsOldRoot).toBe(false);
  });
});

describe('rotation status and the leader next step', () => {
  it('waits while a node is still on the old root, telling only that node', () => {
    const s = rotationStatus([node('b', oldRoot.digest, false), node('a', newRoot.digest, true), node('c', '', false)], migrating);
    expect(s).toEqual({ phase: 'migrating', total: 3, tlsMoved: 1, caMoved: 0, pending: ['b', 'c'], action: 'wait' });
  });

  it('makes the new root current once every node holds a new-root certificate', () => {
    const s = rotationStatus([node('a', newRoot.digest, true), node('b', newRoot.digest, true)], migrating);
    expect(s.action).toBe('make-new-root-current');
    expect(s.pending).toEqual([]);
  });

  it('after that, waits for every node to trust the new root alone, then finishes', () => {
    const half = rotationStatus([node('a', newRoot.digest, false), node('b', newRoot.digest, true)], dropping);
    expect(half).toEqual({ phase: 'dropping-old-root', total: 2, tlsMoved: 2, caMoved: 1, pending: ['b'], action: 'wait' });
    const all = rotationStatus([node('a', newRoot.digest, false), node('b', newRoot.digest, false)], dropping);
    expect(all).toMatchObject({ phase: 'done', caMoved: 2, pending: [], action: 'finish' });
  });
});

describe('a node deciding whether a notice concerns it', () => {
  const onOld = issueLocalNodeCredentials({ rootCa: oldRoot, clusterId: CLUSTER, role: NodeRole.NODE_ROLE_WORKER });
  const moved = issueLocalNodeCredentials({ rootCa: newRoot, clusterId: CLUSTER, role: NodeRole.NODE_ROLE_WORKER });
  const bothTrusted = issuancePlan(oldRoot, migrating).trust;

  it('renews while its certificate comes from the old root', () => {
    expect(issuerDigestIn(onOld.certPem, onOld.caCertPem)).toBe(oldRoot.digest);
    expect(needsRenewalFor(rotationNotice(migrating), onOld)).toBe(true);
  });

  it('does not renew again for a repeated notice once moved, until the old root is dropped', () => {
    const held = { certPem: issuancePlan(oldRoot, migrating).chain(moved.certPem), caCertPem: bothTrusted };
    expect(issuerDigestIn(held.certPem, held.caCertPem)).toBe(newRoot.digest);
    expect(needsRenewalFor(rotationNotice(migrating), held)).toBe(false);
    expect(needsRenewalFor(rotationNotice(dropping), held)).toBe(true);
    expect(needsRenewalFor(rotationNotice(dropping), { certPem: moved.certPem, caCertPem: newRoot.certPem })).toBe(false);
  });
});
