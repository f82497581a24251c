import { RaftConfChange, RaftConfChangeType as CC, RaftEntryType } from '@flotilla/api';
import type { SeededRng } from '../../src/core/rng.js';
import { SafetyViolation } from './checker.js';
import { KvClients } from './clients.js';
import { SimCluster } from './cluster.js';
import { encodeOp } from './kv.js';

export interface ChaosOptions {
  /** Ticks of chaos before healing. */
  chaosTicks: number;
  /** Ticks allowed, after healing, for a leader to emerge and a proposal to reach every member. */
  livenessTicks: number;
  /** Propose membership changes during the chaos. */
  membership?: boolean;
  /** Run KV clients and check their history for linearizability. */
  clients?: boolean;
}

export interface ChaosReport {
  seed: number;
  members: number;
  committed: number;
  maxTerm: number;
  crashes: number;
  partitions: number;
  confChanges: number;
  messages: number;
  clientOps: number;
}

/**
 * One randomized run: a cluster of 3 or 5 under drops, duplicates, reordering, delays,
 * partitions of every shape, crashes and (optionally) membership changes, with safety
 * checked after every event by the cluster; then the network heals, everyone restarts and
 * the run must make progress again.
 */
export function runChaos(seed: number, o: ChaosOptions): ChaosReport {
  const shape = new SimCluster({ seed, voters: [1] }).rng; // the run's shape depends on the seed alone
  const n = shape.chance(0.5) ? 3 : 5;
  const c = new SimCluster({
    seed,
    voters: Array.from({ length: n }, (_, i) => i + 1),
    preVote: o.membership === true ? true : shape.chance(0.8),
    checkQuorum: shape.chance(0.8),
    maxInflightMsgs: 1 + shape.intn(8),
    maxSizePerMsg: shape.chance(0.5) ? 64 : 4096,
    snapshotEvery: shape.chance(0.5) ? 4 + shape.intn(10) : 0,
    keepAfterSnapshot: shape.intn(4),
    asyncPersistence: shape.chance(0.5),
  });
  const rng = c.rng.fork();
  c.net.faults = { drop: rng.next() * 0.2, duplicate: rng.next() * 0.1, minDelay: 1, maxDelay: 1 + rng.intn(12) };
  const clients = o.clients === true ? new KvClients(c, rng.fork(), { clients: 3, keys: 2, readIndexShare: 0.5, timeoutUnits: 200 }) : undefined;
  const members = new Membership(c, rng.fork(), n);
  let crashes = 0;
  let partitions = 0;
  let payload = 0;
  for (let u = 0; u < o.chaosTicks * c.opts.unitsPerTick; u++) {
    if (rng.chance(0.004)) {
      partitions++;
      partitionRandomly(c, members.ids(), rng);
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
      const down = members.ids().filter((id) => c.member(id).node === undefined);
      if (down.length > 0) c.restart(down[rng.intn(down.length)]!);
    }
    if (clients === undefined && rng.chance(0.08)) {
      const ids = members.ids();
      const target = rng.chance(0.8) ? (c.leader()?.id ?? ids[0]!) : ids[rng.intn(ids.length)]!;
      const n = payload++;
      c.propose(target, encodeOp({ id: `p${seed}-${n}`, op: 'put', key: `k${rng.intn(5)}`, value: `v${n}` }));
    }
    if (o.membership === true && rng.chance(0.006)) members.proposeRandomChange();
    if (rng.chance(0.002)) {
      const l = c.leader();
      const voters = l?.node!.confState().voters ?? [];
      const to = voters[rng.intn(Math.max(1, voters.length))];
      if (l !== undefined && to !== undefined) c.withNode(l.id, (n) => n.transferLeadership(to));
    }
    clients?.step();
    c.step();
    members.retireRemoved();
  }

  c.net.heal();
  c.net.faults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 3 };
  for (const id of members.ids()) if (c.member(id).node === undefined) c.restart(id);
  const marker = Buffer.from(`final-${seed}`);
  // Like a real client, re-propose now and then: an accepted proposal can still be lost to a leader change.
  let proposedAt = -Infinity;
  const reached = (): boolean => {
    const l = c.leader();
    if (l === undefined) return false;
    const cs = l.node!.confState();
    return [...cs.voters, ...cs.learners].every((id) => {
      const m = c.members.get(id);
      return m?.node !== undefined && (m.appliedLog.some((e) => e.data.equals(marker)) || appliedBySnapshot(c, id, marker));
    });
  };
  const ok = c.runUntil(() => {
    const l = c.leader();
    if (l !== undefined && c.now - proposedAt > 40 * c.opts.unitsPerTick && c.propose(l.id, marker)) proposedAt = c.now;
    clients?.step();
    members.retireRemoved();
    return reached();
  }, o.livenessTicks);
  if (!ok) {
    const state = c
      .live()
      .map((m) => `${m.id}:${m.node!.raft.role}/t${m.node!.raft.term}/c${m.node!.raft.raftLog.committed}/l${m.node!.raft.raftLog.lastIndex()}`)
      .join(' ');
    throw new SafetyViolation(`liveness: after healing, no proposal reached every member within ${o.livenessTicks} ticks (${state})`);
  }
  checkReplicasAgree(c);
  let clientOps = 0;
  if (clients !== undefined) {
    clients.abandonAll();
    const r = clients.check();
    if (!r.ok) {
      const h = r.history.map((x) => `${x.kind}(${x.value})@${x.invoke}-${x.complete}`).join(' ');
      throw new SafetyViolation(`linearizability: history of ${r.key} has no valid order: ${h}`);
    }
    clientOps = r.ops;
  }
  return {
    seed,
    members: n,
    committed: c.checker.applied.size,
    maxTerm: c.maxTerm(),
    crashes,
    partitions,
    confChanges: members.changes,
    messages: c.net.sent,
    clientOps,
  };
}

/** Drives membership changes: adds fresh members, promotes learners, removes members, and retires the removed. */
class Membership {
  private nextId: number;
  private readonly retired = new Set<number>();
  changes = 0;

  constructor(
    private readonly c: SimCluster,
    private readonly rng: SeededRng,
    n: number,
  ) {
    this.nextId = n + 1;
  }

  /** Members still in service (removed members are shut down for good, as an operator would). */
  ids(): number[] {
    return [...this.c.members.keys()].filter((id) => !this.retired.has(id));
  }

  proposeRandomChange(): void {
    const l = this.c.leader();
    if (l === undefined) return;
    const cs = l.node!.confState();
    const choice = this.rng.intn(4);
    let cc: { type: CC; nodeId: number } | undefined;
    if (choice === 0 && cs.voters.length < 5) {
      const id = this.nextId++;
      this.c.addMember(id);
      cc = { type: CC.RAFT_CONF_CHANGE_ADD_VOTER, nodeId: id };
    } else if (choice === 1 && cs.learners.length < 2) {
      const id = this.nextId++;
      this.c.addMember(id);
      cc = { type: CC.RAFT_CONF_CHANGE_ADD_LEARNER, nodeId: id };
    } else if (choice === 2 && cs.learners.length > 0) {
      cc = { type: CC.RAFT_CONF_CHANGE_PROMOTE_LEARNER, nodeId: cs.learners[this.rng.intn(cs.learners.length)]! };
    } else if (choice === 3 && cs.voters.length > 3) {
      const all = [...cs.voters, ...cs.learners];
      cc = { type: CC.RAFT_CONF_CHANGE_REMOVE_VOTER, nodeId: all[this.rng.intn(all.length)]! };
    }
    if (cc !== undefined && this.c.proposeConfChange(l.id, { ...cc, context: Buffer.alloc(0) })) this.changes++;
  }

  /** Shuts down members whose removal some member has applied (it is committed). */
  retireRemoved(): void {
    for (const m of this.c.members.values()) {
      for (const e of m.appliedLog.slice(-4)) {
        if (e.type !== RaftEntryType.RAFT_ENTRY_CONF_CHANGE) continue;
        const cc = RaftConfChange.decode(e.data);
        if (cc.type === CC.RAFT_CONF_CHANGE_REMOVE_VOTER && !this.retired.has(cc.nodeId)) {
          this.retired.add(cc.nodeId);
          this.c.crash(cc.nodeId);
        }
      }
    }
  }
}

/** Members that applied up to the same index hold the same state, however they got there (log or snapshot). */
function checkReplicasAgree(c: SimCluster): void {
  const byIndex = new Map<number, { id: number; state: string }>();
  for (const m of c.live()) {
    const state = JSON.stringify([...m.sm.kv].sort());
    const seen = byIndex.get(m.sm.appliedIndex);
    if (seen === undefined) byIndex.set(m.sm.appliedIndex, { id: m.id, state });
    else if (seen.state !== state) {
      throw new SafetyViolation(`state machines diverge at applied index ${m.sm.appliedIndex}: members ${seen.id} and ${m.id}`);
    }
  }
}

function appliedBySnapshot(c: SimCluster, id: number, marker: Buffer): boolean {
  // A member that caught up by snapshot never applies the entry itself; it holds its effects.
  const idx = [...c.checker.applied].find(([, a]) => a.fp.endsWith(marker.toString('base64')))?.[0];
  return idx !== undefined && c.member(id).sm.appliedIndex >= idx;
}

function partitionRandomly(c: SimCluster, ids: number[], rng: SeededRng): void {
  const shuffled = [...ids].sort(() => rng.next() - 0.5);
  const kind = rng.intn(3);
  if (kind === 0) {
    // minority/majority split
    const k = 1 + rng.intn(Math.floor(ids.length / 2));
    c.net.partition([shuffled.slice(0, k), shuffled.slice(k)]);
  } else if (kind === 1 && ids.length >= 3) {
    // three-way split: maybe nobody has a majority
    const a = 1 + rng.intn(ids.length - 2);
    const b = a + 1 + rng.intn(ids.length - a - 1);
    c.net.partition([shuffled.slice(0, a), shuffled.slice(a, b), shuffled.slice(b)]);
  } else {
    // one-way cuts: x stops hearing y while y still hears x
    c.net.heal();
    const cuts = 1 + rng.intn(ids.length);
    for (let i = 0; i < cuts; i++) {
      const x = ids[rng.intn(ids.length)]!;
      const y = ids[rng.intn(ids.length)]!;
      if (x !== y) c.net.cutLink(y, x);
    }
  }
}
