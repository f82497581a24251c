// What a lease candidate or holder does next, from the lease as its store shows it and its own
// clock: pure, so every case is tested without timers. Modelled on Kubernetes' Lease election:
// a candidate never compares the holder's timestamps with its own clock (clocks differ); it notes
// when it first saw the lease at its current version and counts the duration from there. A
// renewal changes the version, so a live holder keeps resetting that count.
import type { Lease, LeaseHolderInfo } from '@flotilla/api';

/** Default lease duration: a holder not heard from for this long may be replaced. */
export const DEFAULT_LEASE_DURATION_MS = 3_000;
/**
 * The duration of a lease held by an instance inside the Raft leader's flotillad: never renewed,
 * valid while that manager leads (see decideLease).
 */
export const LEADER_TIED_DURATION_MS = 0;

export interface Observed {
  /** meta.version of the lease when first seen, 0 when there was none. */
  readonly version: number;
  /** The candidate's monotonic clock when it first saw that version. */
  readonly sinceMs: number;
}

/** Keeps the first sighting of a version; a new version (or a lease that appeared or went) starts the count again. */
export function observe(prev: Observed | undefined, lease: Lease | undefined, nowMs: number): Observed {
  const version = lease?.meta?.version ?? 0;
  return prev !== undefined && prev.version === version ? prev : { version, sinceMs: nowMs };
}

export type LeaseDecision =
  /** The lease is ours at this epoch: act, and renew on time. */
  | { kind: 'holding'; epoch: number }
  /** Propose `next` (compare-and-swap on the version read) to take the lease. */
  | { kind: 'take'; next: Lease; why: 'free' | 'released' | 'expired' | 'preempted' | 'ours-again' }
  /** Another instance holds it and renewed recently: look again at `recheckAtMs` (or on a change). */
  | { kind: 'wait'; holder: string; recheckAtMs: number };

export interface LeaseInput {
  readonly leaseId: string;
  readonly self: string;
  readonly selfInfo: LeaseHolderInfo;
  readonly durationMs: number;
  readonly lease: Lease | undefined;
  readonly observed: Observed;
  readonly nowMs: number;
  /** The proposer's wall clock, written as acquired_at_ms. */
  readonly wallMs: number;
  /** This candidate may take the lease from its holder at once (an in-process instance on the Raft leader replacing one on a deposed manager). */
  readonly mayPreempt?: (lease: Lease) => boolean;
  /** The epoch this process holds now, if it thinks it holds the lease. */
  readonly heldEpoch?: number;
}

export function decideLease(i: LeaseInput): LeaseDecision {
  const { lease } = i;
  const take = (why: Extract<LeaseDecision, { kind: 'take' }>['why']): LeaseDecision => ({ kind: 'take', next: nextHolder(i, lease), why });
  if (lease === undefined) return take('free');
  if (lease.holder === i.self) {
    // Ours at the epoch we acquired: hold on. Ours at another epoch (a previous run of this
    // instance, or a tenure we already gave up): take it again with a new epoch, so nothing decided
    // under the old one can still land.
    return i.heldEpoch === lease.epoch ? { kind: 'holding', epoch: lease.epoch } : take('ours-again');
  }
  if (lease.holder === '') return take('released');
  if (i.mayPreempt?.(lease)) return take('preempted');
  // Duration 0: held by an instance inside the Raft leader's flotillad, for as long as that manager
  // leads (Raft's term fences it: its writes commit only on the leader). Only another leader's
  // in-process instance takes it over (mayPreempt), or that leader releases it.
  if (lease.durationMs === 0) return { kind: 'wait', holder: lease.holder, recheckAtMs: Number.POSITIVE_INFINITY };
  const expiresAtMs = i.observed.sinceMs + lease.durationMs;
  if (i.nowMs >= expiresAtMs) return take('expired');
  return { kind: 'wait', holder: lease.holder, recheckAtMs: expiresAtMs };
}

/** The lease written by a candidate taking it: a new epoch, always. */
export function nextHolder(i: LeaseInput, current: Lease | undefined): Lease {
  return {
    id: i.leaseId,
    meta: current?.meta,
    holder: i.self,
    epoch: (current?.epoch ?? 0) + 1,
    durationMs: i.durationMs,
    holderInfo: i.selfInfo,
    acquiredAtMs: i.wallMs,
    transitions: (current?.transitions ?? 0) + (current !== undefined && current.holder !== i.self ? 1 : 0),
  };
}

/** The holder's renewal: the same lease at the same epoch; writing it bumps meta.version. */
export function renewal(current: Lease): Lease {
  return { ...current };
}

/** A holder stopping on purpose gives the lease up, so another instance takes over at once. */
export function released(current: Lease): Lease {
  return { ...current, holder: '', holderInfo: undefined };
}

/**
 * How long a holder that cannot renew (no store reachable) keeps acting: somewhat less than the
 * duration, counted from the last renewal its store confirmed, so it has stopped before a
 * candidate may take over. The fence makes a late write harmless anyway; this keeps the two from
 * working side by side.
 */
export function holdDeadlineMs(lastRenewedMs: number, durationMs: number): number {
  return lastRenewedMs + Math.floor(durationMs * 0.8);
}
