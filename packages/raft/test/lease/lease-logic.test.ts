import { Lease } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { decideLease, holdDeadlineMs, observe, type LeaseInput } from '../../src/lease/lease-logic.js';

const lease = (holder: string, epoch: number, version: number, extra: Partial<Lease> = {}): Lease =>
  Lease.fromPartial({ id: 'scheduler', holder, epoch, durationMs: 3_000, meta: { version }, ...extra });

const input = (l: Lease | undefined, nowMs: number, sinceMs = 0, extra: Partial<LeaseInput> = {}): LeaseInput => ({
  leaseId: 'scheduler',
  self: 'me',
  selfInfo: { host: 'h', pid: 1, managerNodeId: '' },
  durationMs: 3_000,
  lease: l,
  observed: { version: l?.meta?.version ?? 0, sinceMs },
  nowMs,
  wallMs: 1_700_000_000_000,
  ...extra,
});

describe('decideLease', () => {
  it('takes a lease nobody holds yet at epoch 1', () => {
    expect(decideLease(input(undefined, 0))).toMatchObject({ kind: 'take', why: 'free', next: { holder: 'me', epoch: 1, transitions: 0, acquiredAtMs: 1_700_000_000_000 } });
  });

  it('takes a released lease at once with the next epoch', () => {
    expect(decideLease(input(lease('', 4, 10), 0))).toMatchObject({ kind: 'take', why: 'released', next: { epoch: 5, transitions: 1, meta: { version: 10 } } });
  });

  it('waits while the holder renews, counting from its own first sighting of the version', () => {
    expect(decideLease(input(lease('other', 2, 10), 2_999, 0))).toEqual({ kind: 'wait', holder: 'other', recheckAtMs: 3_000 });
    expect(decideLease(input(lease('other', 2, 10), 3_000, 0))).toMatchObject({ kind: 'take', why: 'expired', next: { epoch: 3 } });
  });

  it("waits for good on a lease tied to the Raft leader's in-process instance (duration 0), unless it may preempt", () => {
    const tied = lease('m1', 2, 10, { durationMs: 0, holderInfo: { host: 'h', pid: 1, managerNodeId: 'm1' } });
    expect(decideLease(input(tied, 1_000_000, 0))).toEqual({ kind: 'wait', holder: 'm1', recheckAtMs: Number.POSITIVE_INFINITY });
    expect(decideLease(input(tied, 0, 0, { mayPreempt: (l) => l.holderInfo?.managerNodeId !== '' }))).toMatchObject({ kind: 'take', why: 'preempted', next: { epoch: 3 } });
  });

  it("uses the lease's own duration over the candidate's", () => {
    expect(decideLease(input(lease('other', 2, 10, { durationMs: 10_000 }), 5_000, 0))).toMatchObject({ kind: 'wait', recheckAtMs: 10_000 });
  });

  it('holds its own lease at the epoch it took, and retakes its own lease of an earlier run with a new epoch', () => {
    expect(decideLease(input(lease('me', 3, 10), 0, 0, { heldEpoch: 3 }))).toEqual({ kind: 'holding', epoch: 3 });
    expect(decideLease(input(lease('me', 3, 10), 0))).toMatchObject({ kind: 'take', why: 'ours-again', next: { epoch: 4, transitions: 0 } });
  });

  it('preempts only when allowed', () => {
    const held = lease('m2', 2, 10, { holderInfo: { host: 'h', pid: 1, managerNodeId: 'm2' } });
    const inProcess = (l: Lease) => (l.holderInfo?.managerNodeId ?? '') !== '';
    expect(decideLease(input(held, 0, 0, { mayPreempt: inProcess }))).toMatchObject({ kind: 'take', why: 'preempted', next: { epoch: 3 } });
    expect(decideLease(input(lease('p1', 2, 10), 0, 0, { mayPreempt: inProcess }))).toMatchObject({ kind: 'wait' });
  });
});

describe('observe', () => {
  it('keeps the first sighting of a version and restarts the count on a new one', () => {
    const first = observe(undefined, lease('a', 1, 5), 100);
    expect(observe(first, lease('a', 1, 5), 900)).toBe(first);
    expect(observe(first, lease('a', 1, 6), 900)).toEqual({ version: 6, sinceMs: 900 });
    expect(observe(first, undefined, 950)).toEqual({ version: 0, sinceMs: 950 });
  });
});

describe('holdDeadlineMs', () => {
  it('ends a holder that cannot renew before any candidate may take over', () => {
    expect(holdDeadlineMs(1_000, 3_000)).toBe(3_400);
    expect(holdDeadlineMs(1_000, 3_000)).toBeLessThan(1_000 + 3_000);
  });
});
