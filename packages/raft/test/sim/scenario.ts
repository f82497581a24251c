import { SimCluster } from './cluster.js';
import { SafetyViolation } from './checker.js';

export interface ChaosOptions {
  /** Ticks of chaos before healing. */
  chaosTicks: number;
  /** Ticks allowed, after healing, for a leader to emerge and a proposal to reach every member. */
  livenessTicks: number;
  snapshotEvery?: number;
}

export interface ChaosReport {
  seed: number;
  members: number;
  committed: number;
  maxTerm: number;
  crashes: number;
  partitions: number;
  messages: number;
}

/**
 * One randomized run: a cluster of 3 or 5 under drops, duplicates, reordering, delays,
 * partitions of every shape and crashes; safety is checked after every event by the
 * cluster; at the end the network heals and the run must make progress again.
 */
export function runChaos(seed: number, o: ChaosOptions): ChaosReport {
  const rng0 = new SimCluster({ seed, voters: [1] }).rng; // draws the shape of the run from the seed alone
  const n = rng0.chance(0.5) ? 3 : 5;
  const voters = Array.from({ length: n }, (_, i) => i + 1);
  const c = new SimCluster({
    seed,
    voters,
    preVote: rng0.chance(0.8),
    checkQuorum: rng0.chance(0.8),
    maxInflightMsgs: 1 + rng0.intn(8),
    maxSizePerMsg: rng0.chance(0.5) ? 64 : 4096,
    snapshotEvery: o.snapshotEvery ?? (rng0.chance(0.5) ? 4 + rng0.intn(10) : 0),
    keepAfterSnapshot: rng0.intn(4),
  });
  const rng = c.rng.fork();
  c.net.faults = {
    drop: rng.next() * 0.2,
    duplicate: rng.next() * 0.1,
    minDelay: 1,
    maxDelay: 1 + rng.intn(12),
  };
  let crashes = 0;
  let partitions = 0;
  let payload = 0;
  const totalUnits = o.chaosTicks * c.opts.unitsPerTick;
  for (let u = 0; u < totalUnits; u++) {
    if (rng.chance(0.004)) {
      partitions++;
      partitionRandomly(c, voters, rng);
    }
    if (rng.chance(0.004)) c.net.heal();
    if (rng.chance(0.003)) {
      const up = c.live();
      const victim = up.length > 0 ? up[rng.intn(up.length)] : undefined;
      if (victim !== undefined) {
        c.crash(victim.id);
        crashes++;
      }
    }
    if (rng.chance(0.01)) {
      const down = [...c.members.values()].filter((m) => m.node === undefined);
      const back = down[rng.intn(Math.max(1, down.length))];
      if (back !== undefined) c.restart(back.id);
    }
    if (rng.chance(0.08)) {
      const target = rng.chance(0.8) ? (c.leader()?.id ?? 1) : voters[rng.intn(n)]!;
      c.propose(target, Buffer.from(`p${seed}-${payload++}`));
    }
    c.step();
  }
  heal(c);
  const marker = Buffer.from(`final-${seed}`);
  // Like a real client, re-propose now and then: an accepted proposal can still be lost to a leader change.
  let proposedAt = -Infinity;
  const ok = c.runUntil(() => {
    const l = c.leader();
    if (l !== undefined && c.now - proposedAt > 40 * c.opts.unitsPerTick && c.propose(l.id, marker)) proposedAt = c.now;
    return c.live().every((m) => m.appliedLog.some((e) => e.data.equals(marker)) || appliedBySnapshot(c, m.id, marker));
  }, o.livenessTicks);
  if (!ok) {
    const state = c
      .live()
      .map((m) => `${m.id}:${m.node!.raft.role}/t${m.node!.raft.term}/c${m.node!.raft.raftLog.committed}/l${m.node!.raft.raftLog.lastIndex()}`)
      .join(' ');
    throw new SafetyViolation(`liveness: after healing, no proposal reached every member within ${o.livenessTicks} ticks (${state})`);
  }
  return {
    seed,
    members: n,
    committed: c.checker.applied.size,
    maxTerm: c.maxTerm(),
    crashes,
    partitions,
    messages: c.net.sent,
  };
}

function appliedBySnapshot(c: SimCluster, id: number, marker: Buffer): boolean {
  // A member that caught up by snapshot never applies the entry itself; it holds its effects.
  const idx = [...c.checker.applied].find(([, a]) => a.fp.endsWith(marker.toString('base64')))?.[0];
  return idx !== undefined && c.member(id).sm.appliedIndex >= idx;
}

function heal(c: SimCluster): void {
  c.net.heal();
  c.net.faults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 3 };
  for (const m of c.members.values()) if (m.node === undefined) c.restart(m.id);
}

function partitionRandomly(c: SimCluster, voters: number[], rng: SimCluster['rng']): void {
  const shuffled = [...voters].sort(() => rng.next() - 0.5);
  const kind = rng.intn(3);
  if (kind === 0) {
    // minority/majority split
    const k = 1 + rng.intn(Math.floor(voters.length / 2));
    c.net.partition([shuffled.slice(0, k), shuffled.slice(k)]);
  } else if (kind === 1) {
    // three-way split: maybe nobody has a majority
    const a = 1 + rng.intn(voters.length - 2);
    const b = a + 1 + rng.intn(voters.length - a - 1);
    c.net.partition([shuffled.slice(0, a), shuffled.slice(a, b), shuffled.slice(b)]);
  } else {
    // one-way cuts: x hears nothing from y but y hears x
    c.net.heal();
    const cuts = 1 + rng.intn(voters.length);
    for (let i = 0; i < cuts; i++) {
      const x = voters[rng.intn(voters.length)]!;
      const y = voters[rng.intn(voters.length)]!;
      if (x !== y) c.net.cutLink(y, x);
    }
  }
}
