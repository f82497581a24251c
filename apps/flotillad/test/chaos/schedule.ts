// The seeded fault schedule of a chaos run: pure, so a seed names the same faults, targets and
// timings every time (which process is the leader when a fault starts is the cluster's doing).
import { SeededRng } from '@flotilla/raft';

export type FaultKind =
  | 'kill-leader' // SIGKILL of the leader's flotillad (its nats-server lives on)
  | 'kill-follower' // SIGKILL of a follower manager's flotillad
  | 'crash-machine' // every process of a host at once: flotillad, nats-server, dockerd, containers
  | 'pause' // SIGSTOP of a manager's flotillad: its sockets and subscriptions stay open
  | 'partition-minority' // followers cut off the network, fewer than a quorum
  | 'partition-leader' // the leader cut off the network
  | 'one-way-loss' // a share of a manager's packets dropped in one direction only
  | 'disk-full' // a manager's data dir (a tmpfs) filled up
  | 'kill-nats' // a manager's nats-server SIGKILLed alone (its flotillad restarts it)
  | 'clock-step'; // a manager's wall clock stepped (libfaketime; monotonic clocks untouched)

export const FAULT_KINDS: readonly FaultKind[] = [
  'kill-leader',
  'kill-follower',
  'crash-machine',
  'pause',
  'partition-minority',
  'partition-leader',
  'one-way-loss',
  'disk-full',
  'kill-nats',
  'clock-step',
];

/** Who a fault hits, resolved when it starts. */
export type Target =
  | { readonly role: 'leader' }
  | { readonly role: 'follower'; readonly pick: number }
  | { readonly role: 'manager'; readonly pick: number }
  | { readonly role: 'any'; readonly pick: number };

export interface PlannedFault {
  /** Seconds after the workload started. */
  readonly atS: number;
  readonly kind: FaultKind;
  readonly target: Target;
  /** How long it lasts before it is healed (a killed process is restarted then). */
  readonly holdS: number;
  /** pause / partition-minority: how many nodes (≤ a minority of the managers). */
  readonly count: number;
  /** one-way-loss: direction and share of packets dropped. */
  readonly direction: 'in' | 'out';
  readonly lossPercent: number;
  /** clock-step: the step, in seconds (either sign). */
  readonly clockStepS: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  /** Length of the faulty period, in seconds. */
  readonly seconds: number;
  readonly managers: number;
  /** Only these kinds (default: all). */
  readonly kinds?: readonly FaultKind[];
}

/**
 * Faults one after another with a calm gap between them, each kind in turn from a shuffled deck
 * so a short run still sees most kinds. With 5 managers a second fault may overlap the first
 * (two of five may be down: still a quorum).
 */
export function planFaults(o: ScheduleOptions): PlannedFault[] {
  const rng = new SeededRng(o.seed * 7919 + 17);
  const minority = Math.floor((o.managers - 1) / 2);
  const plan: PlannedFault[] = [];
  let deck: FaultKind[] = [];
  let at = 2 + rng.intn(3);
  while (at < o.seconds) {
    if (deck.length === 0) deck = shuffle([...(o.kinds ?? FAULT_KINDS)], rng);
    const kind = deck.pop()!;
    const holdS = 3 + rng.intn(8);
    const pick = rng.intn(1000);
    const target: Target =
      kind === 'kill-leader' || kind === 'partition-leader'
        ? { role: 'leader' }
        : kind === 'kill-follower' || kind === 'partition-minority'
          ? { role: 'follower', pick }
          : kind === 'crash-machine'
            ? { role: 'any', pick }
            : rng.chance(0.4)
              ? { role: 'leader' }
              : { role: 'manager', pick };
    plan.push({
      atS: at,
      kind,
      target,
      holdS: Math.min(holdS, Math.max(1, o.seconds - at)),
      count: kind === 'partition-minority' || kind === 'pause' ? 1 + rng.intn(minority) : 1,
      direction: rng.chance(0.5) ? 'in' : 'out',
      lossPercent: [30, 60, 100][rng.intn(3)]!,
      clockStepS: (rng.chance(0.5) ? 1 : -1) * (15 + rng.intn(76)),
    });
    const overlap = o.managers >= 5 && rng.chance(0.3);
    at += overlap ? 1 + rng.intn(Math.max(1, holdS - 1)) : holdS + 2 + rng.intn(4);
  }
  return plan;
}

function shuffle<T>(items: T[], rng: SeededRng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.intn(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
