import { Node, NodeRole, type NodeRouteKey } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { MAX_MANAGER_KEYS, natsRouteKeys, nextManagerKeys } from '../src/nats-route-keys.js';

const key = (c: string): string => c.repeat(64);
const M = NodeRole.NODE_ROLE_MANAGER;
const W = NodeRole.NODE_ROLE_WORKER;
const NOW = 1_000_000;
const LATER = NOW + 86_400_000;

function node(id: string, role: NodeRole, managerKeys: NodeRouteKey[] = []): Node {
  return { id, role, tlsInfo: { certIssuerSubject: '', certNotAfter: 0, publicKeySha256: managerKeys[0]?.publicKeySha256 ?? '', managerKeys } };
}
const k = (c: string, notAfter = LATER): NodeRouteKey => ({ publicKeySha256: key(c), notAfter });
const cert = (c: string, role: NodeRole.NODE_ROLE_MANAGER | NodeRole.NODE_ROLE_WORKER, notAfterMs = LATER) => ({ publicKeySha256: key(c), notAfterMs, role });

describe('natsRouteKeys: whose keys a manager nats-server accepts routes from (pure)', () => {
  it("pins every manager's unexpired manager keys, never a worker's", () => {
    const nodes = [node('m1', M, [k('1'), k('0')]), node('m2', M, [k('2'), k('9', NOW)]), node('w1', W, [])];
    expect(natsRouteKeys(nodes, { nowMs: NOW })).toEqual([key('0'), key('1'), key('2')]);
  });

  it('a demoted manager keeps its manager keys pinned only while it is still a Raft voter', () => {
    const left = node('d1', W, [k('a')]);
    expect(natsRouteKeys([left], { nowMs: NOW, votingNodeIds: ['d1'] })).toEqual([key('a')]);
    expect(natsRouteKeys([left], { nowMs: NOW })).toEqual([]);
  });

  it('a manager asked to become a worker (demoted, maybe while down) is pinned only while it is still a Raft voter', () => {
    const demoted: Node = { ...node('d2', M, [k('b')]), spec: Node.fromPartial({ spec: { desiredRole: W } }).spec };
    expect(natsRouteKeys([demoted], { nowMs: NOW, votingNodeIds: ['d2'] })).toEqual([key('b')]);
    expect(natsRouteKeys([demoted], { nowMs: NOW })).toEqual([]);
  });

  it('a denied node is never pinned, even recorded as a manager and voting', () => {
    expect(natsRouteKeys([node('m1', M, [k('1')])], { nowMs: NOW, deniedNodeIds: ['m1'], votingNodeIds: ['m1'] })).toEqual([]);
  });

  it("adds this server's own key, skips malformed keys, and sorts without duplicates", () => {
    const nodes = [node('m1', M), node('m2', M, [{ publicKeySha256: 'not-hex', notAfter: LATER }]), node('m3', M, [k('f'), k('f')])];
    expect(natsRouteKeys(nodes, { nowMs: NOW, ownKeys: [key('5'), 'short'] })).toEqual([key('5'), key('f')]);
  });
});

describe("nextManagerKeys: a node's manager keys after each certificate the CA issues (pure)", () => {
  it('a manager join records its key; a worker join records none', () => {
    expect(nextManagerKeys([], cert('1', M), undefined, NOW)).toEqual([k('1')]);
    expect(nextManagerKeys([], cert('1', W), undefined, NOW)).toEqual([]);
  });

  it("a manager's renewals keep every unexpired key it may still present on a route, newest first", () => {
    let keys = nextManagerKeys([], cert('1', M), undefined, NOW);
    keys = nextManagerKeys(keys, cert('2', M), cert('1', M), NOW);
    keys = nextManagerKeys(keys, cert('3', M), cert('2', M), NOW);
    expect(keys.map((x) => x.publicKeySha256)).toEqual([key('3'), key('2'), key('1')]);
    // Key 1's certificate expires: it drops out at the next renewal.
    expect(nextManagerKeys([k('2'), k('1', NOW)], cert('3', M), cert('2', M), NOW).map((x) => x.publicKeySha256)).toEqual([key('3'), key('2')]);
  });

  it('a renewal whose answer was lost, retried with the key in use, keeps that key', () => {
    const recorded = [k('2'), k('1')]; // 2 was issued but never installed; the node still uses 1
    expect(nextManagerKeys(recorded, cert('3', M), cert('1', M), NOW).map((x) => x.publicKeySha256)).toEqual([key('3'), key('1'), key('2')]);
  });

  it("a promotion starts afresh: the worker's old key never counts", () => {
    expect(nextManagerKeys([], cert('c', M), cert('e', W), NOW)).toEqual([k('c')]);
  });

  it('a demotion keeps the manager keys (for the voter window) and adds no worker key; a later promotion drops them', () => {
    const demoted = nextManagerKeys([k('1')], cert('e', W), cert('2', M), NOW);
    expect(demoted.map((x) => x.publicKeySha256)).toEqual([key('2'), key('1')]);
    expect(nextManagerKeys(demoted, cert('b', W), cert('e', W), NOW)).toEqual([]);
    expect(nextManagerKeys(demoted, cert('d', M), cert('e', W), NOW)).toEqual([k('d')]);
  });

  it(`keeps at most ${MAX_MANAGER_KEYS} keys`, () => {
    let keys: NodeRouteKey[] = [];
    let previous: ReturnType<typeof cert> = cert('0', M);
    for (let i = 1; i <= MAX_MANAGER_KEYS + 5; i++) {
      const next = { publicKeySha256: i.toString(16).padStart(64, '0'), notAfterMs: LATER, role: M } as const;
      keys = nextManagerKeys(keys, next, previous, NOW);
      previous = next;
    }
    expect(keys).toHaveLength(MAX_MANAGER_KEYS);
    expect(keys[0]!.publicKeySha256).toBe((MAX_MANAGER_KEYS + 5).toString(16).padStart(64, '0'));
  });
});
