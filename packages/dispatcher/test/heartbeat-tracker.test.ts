import { describe, expect, it } from 'vitest';
import { HeartbeatTracker } from '../src/index.js';

describe('HeartbeatTracker', () => {
  it('declares a node down only after period × grace of silence', () => {
    const t = new HeartbeatTracker(5_000, 3);
    t.heartbeat('n1', 0);
    t.heartbeat('n2', 10_000);
    expect(t.expire(14_999)).toEqual([]);
    expect(t.expire(15_000)).toEqual(['n1']);
    expect(t.expire(25_000)).toEqual(['n2']);
    expect(t.tracked).toBe(0);
  });

  it('a heartbeat pushes the deadline out', () => {
    const t = new HeartbeatTracker(1_000, 3);
    t.heartbeat('n1', 0);
    t.heartbeat('n1', 2_500);
    expect(t.expire(3_000)).toEqual([]);
    expect(t.nextDeadline()).toBe(5_500);
  });

  it('a node expired by gossip is gone at once and reported once', () => {
    const t = new HeartbeatTracker();
    t.heartbeat('n1', 0);
    expect(t.expireNow('n1')).toBe(true);
    expect(t.expireNow('n1')).toBe(false);
    expect(t.expire(1e9)).toEqual([]);
  });

  it('uses the new period for the next heartbeat and refuses a non-positive one', () => {
    const t = new HeartbeatTracker(5_000, 3);
    t.setPeriod(1_000);
    t.heartbeat('n1', 0);
    expect(t.nextDeadline()).toBe(3_000);
    expect(() => t.setPeriod(0)).toThrow('heartbeat period must be > 0, got 0 ms');
    expect(() => new HeartbeatTracker(-1)).toThrow('heartbeat period must be > 0');
  });

  it('returns nodes in a stable order when several expire together', () => {
    const t = new HeartbeatTracker(1, 1);
    for (const id of ['c', 'a', 'b']) t.heartbeat(id, 0);
    expect(t.expire(1)).toEqual(['a', 'b', 'c']);
  });
});
