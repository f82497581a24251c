import { describe, expect, it } from 'vitest';
import { NodeRole } from '@flotilla/api';
import { natsRouteKeys } from '@flotilla/ca';
import { createJoinedNode, renewedNode, withTlsInfo } from '../src/manager/node-objects.js';
import { raftIdForNode } from '../src/manager/raft-ids.js';

const W = NodeRole.NODE_ROLE_WORKER;
const M = NodeRole.NODE_ROLE_MANAGER;
const K1 = '1'.repeat(64);
const K2 = '2'.repeat(64);
const issued = { certNotAfterMs: Date.UTC(2027, 1, 24), certIssuerSubject: 'O=c1, CN=flotilla-root-ca', publicKeySha256: K1 };

describe("a node's TLS info", () => {
  it("is the issued certificate's expiry, issuer, key and role", () => {
    const node = withTlsInfo(createJoinedNode('w1', W, ['127.0.0.40'], 2377), { ...issued, role: W });
    expect(node.tlsInfo).toEqual({
      certNotAfter: issued.certNotAfterMs,
      certIssuerSubject: 'O=c1, CN=flotilla-root-ca',
      publicKeySha256: K1,
      certRole: W,
      previousPublicKeySha256: '',
      previousCertRole: W,
    });
    expect(node.role).toBe(W);
  });

  it('a plain renewal replaces the TLS info, keeps the key it renewed with, and changes nothing else', () => {
    const before = withTlsInfo(createJoinedNode('m1', M, ['127.0.0.40'], 2377), { ...issued, role: M });
    const later = { ...issued, certNotAfterMs: issued.certNotAfterMs + 86_400_000, publicKeySha256: K2 };
    const { node, promoted } = renewedNode(before, { role: M, previousRole: M, previousPublicKeySha256: K1, addresses: ['127.0.0.40'], ...later }, 2377);
    expect(promoted).toBe(false);
    expect(node).toEqual({
      ...before,
      tlsInfo: { certNotAfter: later.certNotAfterMs, certIssuerSubject: issued.certIssuerSubject, publicKeySha256: K2, certRole: M, previousPublicKeySha256: K1, previousCertRole: M },
    });
    // Both keys stay pinned: routes the manager opened before the renewal survive it.
    expect(natsRouteKeys([node])).toEqual([K1, K2]);
  });

  it('a worker renewing as a manager is promoted (Raft id, manager address); only its new manager key is pinned', () => {
    const worker = withTlsInfo(createJoinedNode('w1', W, ['127.0.0.40'], 2377), { ...issued, role: W });
    const { node, promoted } = renewedNode(worker, { role: M, previousRole: W, previousPublicKeySha256: K1, addresses: ['127.0.0.40'], ...issued, publicKeySha256: K2 }, 2377);
    expect(promoted).toBe(true);
    expect(node.role).toBe(M);
    expect(node.managerStatus).toMatchObject({ raftId: raftIdForNode('w1'), addr: '127.0.0.40:2377' });
    expect(node.tlsInfo?.certNotAfter).toBe(issued.certNotAfterMs);
    expect(natsRouteKeys([worker])).toEqual([]);
    expect(natsRouteKeys([node])).toEqual([K2]);
  });

  it("a manager's own renewal is no promotion", () => {
    const manager = createJoinedNode('m2', M, ['127.0.0.32'], 2377);
    expect(renewedNode(manager, { role: M, previousRole: M, previousPublicKeySha256: K1, addresses: ['127.0.0.32'], ...issued }, 2377).promoted).toBe(false);
  });

  it("a manager re-issued as a worker (a demotion under way) keeps only its manager key pinned, until it is no manager and no voter", () => {
    const manager = withTlsInfo(createJoinedNode('d1', M, ['127.0.0.33'], 2377), { ...issued, role: M });
    const { node } = renewedNode(manager, { role: W, previousRole: M, previousPublicKeySha256: K1, addresses: ['127.0.0.33'], ...issued, publicKeySha256: K2 }, 2377);
    expect(node.role).toBe(M);
    expect(natsRouteKeys([node])).toEqual([K1]);
    expect(natsRouteKeys([{ ...node, role: W }])).toEqual([]);
  });
});
