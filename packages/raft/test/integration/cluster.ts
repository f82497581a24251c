// A Raft cluster for integration tests: one real nats-server with mutual TLS, and members in
// this process, each with its own NATS connection and WAL directory (real fsync). A crash
// closes the member's connection at once and abandons its Ready in progress.
import { join } from 'node:path';
import { Network } from '@flotilla/api';
import type { BusConnection } from '@flotilla/bus';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino } from 'pino';
import { RaftMember, type RaftMemberOptions } from '../../src/member/member.js';
import { isRaftMemberError } from '../../src/member/errors.js';
import { TransactionBuilder } from '../../src/store/transaction.js';

export interface Slot {
  id: number;
  dataDir: string;
  bus: BusConnection | undefined;
  member: RaftMember | undefined;
}

export type MemberTuning = Partial<Omit<RaftMemberOptions, 'id' | 'clusterId' | 'dataDir' | 'nc' | 'bootstrap'>>;

export class TestCluster {
  readonly slots = new Map<number, Slot>();
  private constructor(
    readonly tmp: TempDir,
    readonly nats: TestNats,
    readonly clusterId: string,
    readonly voters: number[],
    private readonly tuning: MemberTuning,
  ) {}

  /** `spares` more member certificates are made for members added later (ids size+1...). */
  /** Members listed in `external` get a slot and a certificate but are not started here (child processes). */
  static async start(size: number, tuning: MemberTuning = {}, spares = 0, external: number[] = []): Promise<TestCluster> {
    const tmp = await tempDir('flotilla-raft-it-');
    try {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const certIds = Array.from({ length: size + spares }, (_, i) => i + 1);
      const clients = [...certIds.map((id) => ({ name: `m${id}`, cn: `member-${id}` })), { name: 'follower', cn: 'store-follower' }];
      const pki = await makeTestPki(join(tmp.path, 'pki'), { clients });
      const nats = await startTestNats({ pki });
      const c = new TestCluster(tmp, nats, 'c1', ids, tuning);
      for (const id of ids) c.slots.set(id, { id, dataDir: join(tmp.path, `member-${id}`), bus: undefined, member: undefined });
      await Promise.all(ids.filter((id) => !external.includes(id)).map((id) => c.startMember(id)));
      return c;
    } catch (err) {
      await tmp.cleanup();
      throw err;
    }
  }

  slot(id: number): Slot {
    const s = this.slots.get(id);
    if (!s) throw new Error(`no member ${id}`);
    return s;
  }

  member(id: number): RaftMember {
    const m = this.slot(id).member;
    if (!m) throw new Error(`member ${id} is not running`);
    return m;
  }

  live(): RaftMember[] {
    return [...this.slots.values()].flatMap((s) => (s.member ? [s.member] : []));
  }

  /** Starts (or restarts from its data directory) member `id`; `join` adds a slot for a new member. */
  async startMember(id: number, opts: { join?: boolean } = {}): Promise<RaftMember> {
    let s = this.slots.get(id);
    if (!s) {
      if (!opts.join) throw new Error(`no member ${id}`);
      s = { id, dataDir: join(this.tmp.path, `member-${id}`), bus: undefined, member: undefined };
      this.slots.set(id, s);
    }
    if (s.member) throw new Error(`member ${id} is running`);
    if (!this.nats.tlsFor(`m${id}`)) throw new Error(`no certificate for m${id}`);
    s.bus = await this.nats.connect(`m${id}`);
    s.member = await RaftMember.start({
      id,
      clusterId: this.clusterId,
      dataDir: s.dataDir,
      nc: s.bus.nc,
      ...(opts.join ? {} : { bootstrap: this.voters }),
      tickMs: 25,
      electionTicks: 10,
      heartbeatTicks: 1,
      logger: pino({ level: process.env.RAFT_TEST_LOG ?? 'silent' }),
      ...this.tuning,
    });
    return s.member;
  }

  /** Crash: the connection is cut at once (no drain) and the member stops mid-Ready. */
  async crash(id: number): Promise<void> {
    const s = this.slot(id);
    const m = s.member;
    s.member = undefined;
    await s.bus?.nc.close();
    s.bus = undefined;
    await m?.crash();
  }

  async stop(): Promise<void> {
    for (const s of this.slots.values()) {
      await s.member?.stop().catch(() => undefined);
      s.member = undefined;
      await s.bus?.close().catch(() => undefined);
      s.bus = undefined;
    }
    await this.nats.stop().catch(() => undefined);
    await this.tmp.cleanup();
  }

  /** Waits until exactly one live member of `among` leads and every one of them agrees. */
  async leader(among: number[] = this.live().map((m) => m.id), timeoutMs = 15_000): Promise<RaftMember> {
    return waitFor(
      () => {
        const ms = among.map((id) => this.member(id));
        const leaders = ms.filter((m) => m.isLeader);
        if (leaders.length !== 1) return undefined;
        const l = leaders[0]!;
        return ms.every((m) => m.leaderId === l.id) ? l : undefined;
      },
      { what: `one agreed leader among members ${among.join(',')}`, timeoutMs },
    );
  }

  /** Waits until every member in `ids` has applied at least `index`. */
  async appliedEverywhere(index: number, ids: number[] = this.live().map((m) => m.id), timeoutMs = 20_000): Promise<void> {
    await waitFor(() => ids.every((id) => this.member(id).appliedIndex >= index), {
      what: `members ${ids.join(',')} to apply index ${index} (now ${ids.map((id) => this.slot(id).member?.appliedIndex).join(',')})`,
      timeoutMs,
    });
  }
}

/** A transaction creating one network, named after `n`; its id (`tx-n`, or `tx-n-attempt`) identifies the write. */
export function createNetworkTx(n: string, attempt = ''): Uint8Array {
  return new TransactionBuilder(attempt ? `tx-${n}-${attempt}` : `tx-${n}`, 1_700_000_000_000)
    .create('network', Network.fromPartial({ id: `net-${n}`, spec: { annotations: { name: `name-${n}` }, driver: 'overlay' } }))
    .encode();
}

/**
 * Proposes to whoever leads among `among`, following NOT_LEADER hints and retrying through
 * elections, until the write is applied (acknowledged) or the deadline passes.
 */
export async function proposeUntilAcked(c: TestCluster, n: string, among?: number[], timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const tx = createNetworkTx(n);
  let last: unknown;
  while (Date.now() < deadline) {
    const candidates = (among ?? c.live().map((m) => m.id)).map((id) => c.slot(id).member).filter((m): m is RaftMember => !!m);
    const target = candidates.find((m) => m.isLeader);
    if (target) {
      try {
        // The same bytes every time: a retry of a write that did commit earlier answers with its first outcome.
        const a = await target.propose(tx, 3_000);
        if (a.result && !a.result.ok) throw a.result.error;
        return a.result?.index ?? a.index;
      } catch (err) {
        last = err;
        if (!isRaftMemberError(err)) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`write ${n} not acknowledged within ${timeoutMs} ms: ${String(last)}`);
}
