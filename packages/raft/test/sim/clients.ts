import { RaftEntryType } from '@flotilla/api';
import type { SeededRng } from '../../src/core/rng.js';
import { isRaftError } from '../../src/core/errors.js';
import type { SimCluster } from './cluster.js';
import { decodeOp, encodeOp } from './kv.js';
import { checkLinearizable, registerModel } from '@flotilla/testkit';

/** One operation on a single register, with logical invoke/complete times. */
export interface RegisterOp {
  kind: 'put' | 'get';
  /** put: the value written; get: the value read. */
  value: string;
  invoke: number;
  /** Infinity when the client never heard back (a put that may or may not have happened). */
  complete: number;
  id: string;
}

const register = registerModel();

/** Wing & Gong / Lowe search of @flotilla/testkit; unfinished gets are left out by the caller. */
function linearizable(key: string, history: readonly RegisterOp[]): boolean {
  const ops = history.map((op) => ({
    client: op.id,
    input: op.kind === 'put' ? { key, kind: 'put' as const, value: op.value } : { key, kind: 'get' as const },
    output: op.kind === 'get' ? op.value : undefined,
    call: op.invoke,
    ret: op.complete,
    outcome: op.complete === Infinity ? ('unknown' as const) : ('ok' as const),
  }));
  return checkLinearizable(register, ops).verdict === 'linearizable';
}

interface Pending {
  op: RegisterOp;
  key: string;
  member: number;
  startedAt: number;
  /** For read-index gets: the confirmed read point, once known. */
  readAt?: number;
  viaReadIndex: boolean;
}

export interface ClientOptions {
  clients: number;
  keys: number;
  /** Share of gets served by read-index instead of through the log. */
  readIndexShare: number;
  /** Sim units a client waits for an answer before giving up on it. */
  timeoutUnits: number;
}

/**
 * Closed-loop clients of the replicated KV: each has at most one operation outstanding,
 * sends it to whoever looks like the leader, and records invoke/complete on a logical clock.
 */
export class KvClients {
  readonly history = new Map<string, RegisterOp[]>();
  private readonly pending: (Pending | undefined)[];
  private clock = 0;
  private seq = 0;
  completed = 0;

  constructor(
    private readonly c: SimCluster,
    private readonly rng: SeededRng,
    private readonly o: ClientOptions,
  ) {
    this.pending = new Array<Pending | undefined>(o.clients).fill(undefined);
    c.onApply = (member, e, result) => {
      if (e.type !== RaftEntryType.RAFT_ENTRY_NORMAL || result === undefined) return;
      const id = decodeOp(e.data)?.id;
      const i = this.pending.findIndex((p) => p !== undefined && !p.viaReadIndex && p.member === member && p.op.id === id);
      if (i < 0) return;
      const p = this.pending[i]!;
      if (p.op.kind === 'get') p.op.value = result;
      this.finish(i, ++this.clock);
    };
    c.onReadState = (member, rs) => {
      const p = this.pending.find((x) => x?.viaReadIndex && x.member === member && x.op.id === rs.requestCtx.toString());
      if (p !== undefined) p.readAt = rs.index;
    };
  }

  /** Called once per sim unit: completes read-index gets, times out, starts new operations. */
  step(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p === undefined) {
        if (this.rng.chance(0.05)) this.invoke(i);
        continue;
      }
      if (p.viaReadIndex && p.readAt !== undefined) {
        const m = this.c.members.get(p.member);
        if (m?.node !== undefined && m.sm.appliedIndex >= p.readAt) {
          p.op.value = m.sm.read(p.key);
          this.finish(i, ++this.clock);
          continue;
        }
      }
      if (this.c.now - p.startedAt > this.o.timeoutUnits) this.abandon(i);
    }
  }

  /** Gives up on everything outstanding (end of run). */
  abandonAll(): void {
    for (let i = 0; i < this.pending.length; i++) if (this.pending[i] !== undefined) this.abandon(i);
  }

  /** Checks every key's history; returns the first key that has no linearization. */
  check(): { ok: true; ops: number } | { ok: false; key: string; history: RegisterOp[] } {
    let ops = 0;
    for (const [key, h] of this.history) {
      ops += h.length;
      if (!linearizable(key, h)) return { ok: false, key, history: h };
    }
    return { ok: true, ops };
  }

  private invoke(client: number): void {
    const key = `k${this.rng.intn(this.o.keys)}`;
    const isPut = this.rng.chance(0.5);
    const id = `c${client}-${this.seq++}`;
    const members = [...this.c.members.values()].filter((m) => m.node !== undefined);
    // Clients' idea of the leader is often stale: send some operations to any member.
    const anyone = members[this.rng.intn(Math.max(1, members.length))];
    const target = this.rng.chance(0.7) ? (this.c.leader() ?? anyone) : anyone;
    if (target?.node === undefined) return;
    const op: RegisterOp = { kind: isPut ? 'put' : 'get', value: isPut ? id : '', invoke: ++this.clock, complete: Infinity, id };
    const viaReadIndex = !isPut && this.rng.chance(this.o.readIndexShare);
    // Registered before the call: a single-voter leader can answer within it.
    this.pending[client] = { op, key, member: target.id, startedAt: this.c.now, viaReadIndex };
    this.record(key, op);
    try {
      this.c.withNode(target.id, (n) => {
        if (viaReadIndex) n.readIndex(Buffer.from(id));
        else n.propose(encodeOp(isPut ? { id, op: 'put', key, value: id } : { id, op: 'get', key }));
      });
    } catch (e) {
      if (!isRaftError(e, 'proposal-dropped')) throw e;
      // Refused on the spot: it never entered any log, so it is not part of the history.
      this.pending[client] = undefined;
      const h = this.history.get(key)!;
      h.splice(h.indexOf(op), 1);
    }
  }

  private record(key: string, op: RegisterOp): void {
    let h = this.history.get(key);
    if (h === undefined) this.history.set(key, (h = []));
    h.push(op);
  }

  private finish(i: number, at: number): void {
    const p = this.pending[i]!;
    p.op.complete = at;
    this.pending[i] = undefined;
    this.completed++;
  }

  private abandon(i: number): void {
    const p = this.pending[i]!;
    this.pending[i] = undefined;
    // A put may still take effect later: keep it with an open end. A get's answer is unknown: drop it.
    if (p.op.kind === 'get') {
      const h = this.history.get(p.key)!;
      h.splice(h.indexOf(p.op), 1);
    }
  }
}
