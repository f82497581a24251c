import { describe, expect, it } from 'vitest';
import { NodeRole } from '@flotilla/api';
import { createJoinedNode, renewedNode, withTlsInfo } from '../src/manager/node-objects.js';
import { raftIdForNode } from '../src/manager/raft-ids.js';

const issued = { certNotAfterMs: Date.UTC(2027, 1, 24), certIssuerSubject: 'O=c1, CN=flotilla-root-ca' };

describe("a node's TLS info", () => {
  it('is the issued certificate\'s expiry and issuer', () => {
    const node = withTlsInfo(createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377), issued);
    expect(node.tlsInfo).toEqual({ certNotAfter: issued.certNotAfterMs, certIssuerSubject: 'O=c1, CN=flotilla-root-ca' });
    expect(node.role).toBe(NodeRole.NODE_ROLE_WORKER);
  });

  it('a plain renewal replaces the TLS info and changes nothing else', () => {
    const before = withTlsInfo(createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377), issued);
    const later = { ...issued, certNotAfterMs: issued.certNotAfterMs + 86_400_000 };
    const { node, promoted } = renewedNode(before, { role: NodeRole.NODE_ROLE_WORKER, addresses: ['127.0.0.40'], ...later }, 2377);
    expect(promoted).toBe(false);
    expect(node).toEqual({ ...before, tlsInfo: { certNotAfter: later.certNotAfterMs, certIssuerSubject: issued.certIssuerSubject } });
  });

  it('a worker renewing as a manager is promoted (Raft id, manager address) and gets the new TLS info', () => {
    const worker = createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377);
    const { node, promoted } = renewedNode(worker, { role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.40'], ...issued }, 2377);
    expect(promoted).toBe(true);
    expect(node.role).toBe(NodeRole.NODE_ROLE_MANAGER);
    expect(node.managerStatus).toMatchObject({ raftId: raftIdForNode('w1'), addr: '127.0.0.40:2377' });
    expect(node.tlsInfo?.certNotAfter).toBe(issued.certNotAfterMs);
  });

  it("a manager's own renewal is no promotion", () => {
    const manager = createJoinedNode('m2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    expect(renewedNode(manager, { role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.32'], ...issued }, 2377).promoted).toBe(false);
  });
});
