// Pure parts of the daemon's gossip wiring: key rotation steps, death quorum, keyring ids, seeds.
import type { GossipKey } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { DeathReports, deathQuorum } from '../src/gossip/death-reports.js';
import { gossipSeeds } from '../src/gossip/gossip-config.js';
import { DEFAULT_KEY_ROTATION_INTERVAL_MS, planKeyRotation, type RotationInput } from '../src/gossip/key-rotation.js';
import { keyringId } from '../src/gossip/keyring-id.js';

const key = (byte: number, lamportTime: number, createdAtMs = 0): GossipKey => ({ key: Buffer.alloc(32, byte), lamportTime, createdAtMs });
let fresh = 100;
const input = (over: Partial<RotationInput>): RotationInput => ({ keys: [], nowMs: 1_000, intervalMs: 10_000, everyNodeHasCurrentRing: false, newKey: () => Buffer.alloc(32, fresh++), ...over });

describe('planKeyRotation', () => {
  it('makes the first key when there is none', () => {
    const step = planKeyRotation(input({ keys: [] }));
    expect(step.kind).toBe('write');
    if (step.kind === 'write') expect(step.keys.map((k) => [k.lamportTime, k.createdAtMs, k.key.length])).toEqual([[1, 1_000, 32]]);
  });

  it('waits until the interval has passed since the primary was made', () => {
    expect(planKeyRotation(input({ keys: [key(1, 1, 0)], nowMs: 9_999 }))).toEqual({ kind: 'wait', atMs: 10_000 });
    expect(planKeyRotation(input({ keys: [key(1, 1, 0)], nowMs: 1, intervalMs: 0 }))).toEqual({ kind: 'wait', atMs: DEFAULT_KEY_ROTATION_INTERVAL_MS });
  });

  it('rotates in three steps, each after every node has the ring', () => {
    const old = key(1, 1, 0);
    const step1 = planKeyRotation(input({ keys: [old], nowMs: 10_000 }));
    if (step1.kind !== 'write') throw new Error('step 1 expected');
    expect(step1.keys[0]).toBe(old);
    expect(step1.keys[1]!.lamportTime).toBe(2);
    const added = step1.keys;
    expect(planKeyRotation(input({ keys: added, everyNodeHasCurrentRing: false }))).toEqual({ kind: 'wait', atMs: undefined });
    const step2 = planKeyRotation(input({ keys: added, everyNodeHasCurrentRing: true }));
    if (step2.kind !== 'write') throw new Error('step 2 expected');
    expect(step2.keys).toEqual([added[1], old]);
    expect(planKeyRotation(input({ keys: step2.keys, everyNodeHasCurrentRing: false })).kind).toBe('wait');
    const step3 = planKeyRotation(input({ keys: step2.keys, everyNodeHasCurrentRing: true }));
    if (step3.kind !== 'write') throw new Error('step 3 expected');
    expect(step3.keys).toEqual([added[1]]);
  });
});

describe('keyringId', () => {
  it('differs with the order of the keys (which one seals) and is empty for no keys', () => {
    const a = key(1, 1);
    const b = key(2, 2);
    expect(keyringId([a, b])).not.toBe(keyringId([b, a]));
    expect(keyringId([a, b])).toBe(keyringId([key(1, 9), key(2, 9)]));
    expect(keyringId([])).toBe('');
  });
});

describe('DeathReports', () => {
  it('needs a majority of the other live nodes, never fewer than two', () => {
    expect(deathQuorum(0)).toBe(Infinity);
    expect(deathQuorum(1)).toBe(Infinity);
    expect(deathQuorum(2)).toBe(2);
    expect(deathQuorum(3)).toBe(2);
    expect(deathQuorum(4)).toBe(3);
  });

  it('a single reporter (the manager alone) cannot take a node down', () => {
    const r = new DeathReports();
    r.report('m1', ['w1']);
    expect(r.confirmed(new Set(['m1', 'w2']))).toEqual([]);
    r.report('w2', ['w1']);
    expect(r.confirmed(new Set(['m1', 'w2']))).toEqual(['w1']);
  });

  it('counts only reporters with a live session: a cut-off node reporting everyone is ignored', () => {
    const r = new DeathReports();
    r.report('cut', ['m1', 'w1', 'w2']);
    r.report('w1', ['cut']);
    r.report('m1', ['cut']);
    expect(r.confirmed(new Set(['m1', 'w1', 'w2']))).toEqual(['cut']);
  });

  it('expires a node once per episode; again only after the reports fell below the quorum', () => {
    const r = new DeathReports();
    const live = new Set(['a', 'b', 'x']);
    r.report('a', ['x']);
    r.report('b', ['x']);
    expect(r.confirmed(live)).toEqual(['x']);
    expect(r.confirmed(live)).toEqual([]);
    r.report('b', []);
    expect(r.confirmed(live)).toEqual([]);
    r.report('b', ['x']);
    expect(r.confirmed(live)).toEqual(['x']);
  });

  it('a death first reported before the node\'s current session opened is about its previous process: it does not count', () => {
    const r = new DeathReports();
    const live = new Set(['a', 'b', 'x']);
    // x crashed at 1000; a and b report it dead from 1500; x restarted and re-opened its session at 2000
    r.report('a', ['x'], 1_500);
    r.report('b', ['x'], 1_600);
    const opened = (id: string) => (id === 'x' ? 2_000 : undefined);
    // the same views keep arriving until gossip sees the new process: they keep their first time
    r.report('a', ['x'], 2_500);
    r.report('b', ['x'], 2_600);
    expect(r.confirmed(live, opened)).toEqual([]);
    // gossip sees x alive, then x really dies: new reports count against the new session
    r.report('a', [], 3_000);
    r.report('b', [], 3_000);
    r.report('a', ['x'], 9_000);
    r.report('b', ['x'], 9_100);
    expect(r.confirmed(live, opened)).toEqual(['x']);
  });

  it('ignores a reporter naming itself and forgets reporters', () => {
    const r = new DeathReports();
    r.report('a', ['a', 'x']);
    r.report('b', ['x']);
    r.forget('b');
    expect(r.confirmed(new Set(['a', 'b', 'c']))).toEqual([]);
  });
});

describe('gossipSeeds', () => {
  it('puts the gossip port on each manager address, once, skipping empty ones', () => {
    expect(gossipSeeds(['10.0.0.2', '', '10.0.0.1', '10.0.0.2'])).toEqual(['10.0.0.1:7946', '10.0.0.2:7946']);
    expect(gossipSeeds(['fd00::1'], 1)).toEqual(['[fd00::1]:1']);
  });
});
