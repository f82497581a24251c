import { describe, expect, it } from 'vitest';
import { NodeRole } from '@flotilla/api';
import { natsRouteKeys } from '@flotilla/ca';
import { createJoinedNode, renewedNode, withTlsInfo } from '../src/manager/node-objects.js';
import { raftIdForNode } from '../src/manager/raft-ids.js';

const W = NodeRole.NODE_ROLE_WORKER;
const M = NodeRole.NODE_ROLE_MANAGER;
const K1 = '1'.repeat(64);
const K2 = '2'.repeat(64);
const NOW = Date.UTC(2026, 1, 24);
const issued = { certNotAfterMs: Date.UTC(2027, 1, 24), certIssuerSubject: 'O=c1, CN=flotilla-root-ca', publicKeySha256: K1 };
const pinned = (node: Parameters<typeof natsRouteKeys>[0] extends Iterable<infer N> ? N : never): string[] => natsRouteKeys([node], { nowMs: NOW });

describe("a node's TLS info", () => {
  it("is the issued certificate's expiry, issuer and key; a worker's key is no manager key", () => {
    const node = withTlsInfo(createJoinedNode('w1', W, ['127.0.0.40'], 2377), { ...issued, role: W }, undefined, NOW);
    expect(node.tlsInfo).toEqual({ certNotAfter: issued.certNotAfterMs, certIssuerSubject: 'O=c1, CN=flotilla-root-ca', publicKeySha256: K1, managerKeys: [] });
    expect(node.role).toBe(W);
  });

  it('a plain renewal replaces the TLS info, keeps the key it renewed with, and changes nothing else', () => {
    const before = withTlsInfo(createJoinedNode('m1', M, ['127.0.0.40'], 2377), { ...issued, role: M }, undefined, NOW);
    const later = { ...issued, certNotAfterMs: issued.certNotAfterMs + 86_400_000, publicKeySha256: K2 };
    const { node, promoted } = renewedNode(before, { role: M, previousRole: M, renewedWith: { publicKeySha256: K1, notAfterMs: issued.certNotAfterMs }, addresses: ['127.0.0.40'], ...later }, 2377, NOW);
    expect(promoted).toBe(false);
    expect(node).toEqual({
      ...before,
      tlsInfo: {
        certNotAfter: later.certNotAfterMs,
        certIssuerSubject: issued.certIssuerSubject,
        publicKeySha256: K2,
        managerKeys: [
          { publicKeySha256: K2, notAfter: later.certNotAfterMs },
          { publicKeySha256: K1, notAfter: issued.certNotAfterMs },
        ],
      },
    });
    // Both keys stay pinned: routes the manager opened before the renewal survive it.
    expect(pinned(node)).toEqual([K1, K2]);
  });

  it('a worker renewing as a manager is promoted (Raft id, manager address); only its new manager key is pinned', () => {
    // `node promote` asked for the manager role: the CA issues one only then.
    const joined = createJoinedNode('w1', W, ['127.0.0.40'], 2377);
    const worker = withTlsInfo({ ...joined, spec: { ...joined.spec!, desiredRole: M } }, { ...issued, role: W }, undefined, NOW);
    const { node, promoted } = renewedNode(worker, { role: M, previousRole: W, renewedWith: { publicKeySha256: K1, notAfterMs: issued.certNotAfterMs }, addresses: ['127.0.0.40'], ...issued, publicKeySha256: K2 }, 2377, NOW);
    expect(promoted).toBe(true);
    expect(node.role).toBe(M);
    expect(node.managerStatus).toMatchObject({ raftId: raftIdForNode('w1'), addr: '127.0.0.40:2377' });
    expect(node.tlsInfo?.certNotAfter).toBe(issued.certNotAfterMs);
    expect(pinned(worker)).toEqual([]);
    expect(pinned(node)).toEqual([K2]);
  });

  it("a manager's own renewal is no promotion", () => {
    const manager = createJoinedNode('m2', M, ['127.0.0.32'], 2377);
    expect(renewedNode(manager, { role: M, previousRole: M, renewedWith: { publicKeySha256: K1, notAfterMs: issued.certNotAfterMs }, addresses: ['127.0.0.32'], ...issued }, 2377, NOW).promoted).toBe(false);
  });

  it('a manager re-issued as a worker (a demotion under way) keeps only its manager key pinned, until it is no manager and no voter', () => {
    // `node demote` asked for the worker role: the CA issues one only then.
    const joined = createJoinedNode('d1', M, ['127.0.0.33'], 2377);
    const manager = withTlsInfo({ ...joined, spec: { ...joined.spec!, desiredRole: W } }, { ...issued, role: M }, undefined, NOW);
    const { node } = renewedNode(manager, { role: W, previousRole: M, renewedWith: { publicKeySha256: K1, notAfterMs: issued.certNotAfterMs }, addresses: ['127.0.0.33'], ...issued, publicKeySha256: K2 }, 2377, NOW);
    expect(node.role).toBe(M);
    expect(natsRouteKeys([node], { nowMs: NOW, votingNodeIds: ['d1'] })).toEqual([K1]);
    expect(pinned(node)).toEqual([]);
    expect(pinned({ ...node, role: W })).toEqual([]);
  });
});
