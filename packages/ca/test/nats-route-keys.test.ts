import { NodeRole, type Node } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { natsRouteKeys } from '../src/nats-route-keys.js';

const key = (c: string): string => c.repeat(64);
const M = NodeRole.NODE_ROLE_MANAGER;
const W = NodeRole.NODE_ROLE_WORKER;

function node(id: string, role: NodeRole, tls?: { key: string; certRole: NodeRole; previous?: string; previousRole?: NodeRole }): Node {
  return {
    id,
    role,
    ...(tls
      ? {
          tlsInfo: {
            certIssuerSubject: 'O=c1, CN=flotilla-root-ca',
            certNotAfter: 0,
            publicKeySha256: tls.key,
            certRole: tls.certRole,
            previousPublicKeySha256: tls.previous ?? '',
            previousCertRole: tls.previousRole ?? W,
          },
        }
      : {}),
  };
}

describe('natsRouteKeys: whose keys a manager nats-server accepts routes from (pure)', () => {
  it("pins every manager's current key, never a worker's", () => {
    const nodes = [node('m1', M, { key: key('1'), certRole: M }), node('m2', M, { key: key('2'), certRole: M }), node('w1', W, { key: key('3'), certRole: W })];
    expect(natsRouteKeys(nodes)).toEqual([key('1'), key('2')]);
  });

  it('keeps the key a manager renewed with, so its routes survive the renewal', () => {
    expect(natsRouteKeys([node('m1', M, { key: key('2'), certRole: M, previous: key('1'), previousRole: M })])).toEqual([key('1'), key('2')]);
  });

  it("a promoted worker's old worker key is not pinned, only its new manager key", () => {
    expect(natsRouteKeys([node('p1', M, { key: key('2'), certRole: M, previous: key('1'), previousRole: W })])).toEqual([key('2')]);
  });

  it("a demoted manager: its worker key never; its manager key only while it is still a Raft voter", () => {
    // Re-issued as a worker while still recorded a manager (the demotion has begun).
    const reissued = node('d1', M, { key: key('7'), certRole: W, previous: key('a'), previousRole: M });
    expect(natsRouteKeys([reissued])).toEqual([key('a')]);
    // Marked a worker: pinned while the voters still count it, gone once it is out of them.
    const left = { ...reissued, role: W };
    expect(natsRouteKeys([left], { votingNodeIds: ['d1'] })).toEqual([key('a')]);
    expect(natsRouteKeys([left])).toEqual([]);
    // A worker that is somehow a voter still contributes no worker key.
    expect(natsRouteKeys([node('w1', W, { key: key('b'), certRole: W })], { votingNodeIds: ['w1'] })).toEqual([]);
  });

  it('a denied node is never pinned, even recorded as a manager', () => {
    expect(natsRouteKeys([node('m1', M, { key: key('1'), certRole: M })], { deniedNodeIds: ['m1'], votingNodeIds: ['m1'] })).toEqual([]);
  });

  it("adds this server's own key, skips nodes without a recorded key and malformed keys, and sorts without duplicates", () => {
    const nodes = [
      node('m1', M),
      node('m2', M, { key: 'not-hex', certRole: M }),
      node('m3', M, { key: key('f'), certRole: M, previous: key('f'), previousRole: M }),
      node('m4', M, { key: key('0'), certRole: M }),
    ];
    expect(natsRouteKeys(nodes, { ownKeys: [key('5'), 'short'] })).toEqual([key('0'), key('5'), key('f')]);
  });
});
