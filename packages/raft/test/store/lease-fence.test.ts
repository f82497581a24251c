// Issue 16: the lease fence and the service scopes are checked in apply, so every member decides
// the same; these run three stores fed the same log, as three Raft members would be.
import { Cluster, Lease, Secret, StoreTransaction, Task, TaskState, type LeaseFence } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { TransactionBuilder } from '../../src/store/transaction.js';
import { Log, task } from './fixtures.js';

const lease = (holder: string, epoch: number, version?: number): Lease =>
  Lease.fromPartial({ id: 'scheduler', holder, epoch, durationMs: 3_000, ...(version ? { meta: { version } } : {}) });

function stores(): { all: Store[]; log: Log } {
  const all = [new Store(), new Store(), new Store()];
  return { all, log: new Log(all) };
}

/** Appends `b` with a fence and/or scope, as a service's proposal carries them. */
function append(log: Log, b: TransactionBuilder, extra: { fence?: LeaseFence; scope?: string }) {
  return log.append(StoreTransaction.encode({ ...b.build(), ...extra }).finish());
}

const assign = (t: Task, nodeId: string): Task => ({ ...t, nodeId, status: { ...t.status!, state: TaskState.TASK_STATE_ASSIGNED } });

describe('the lease fence in apply', () => {
  it('applies a write fenced with the current epoch and refuses one from the holder it replaced, on every member', () => {
    const { all, log } = stores();
    log.tx('t0').create('task', task('t1', 's1', 1)).create('lease', lease('a', 1)).commit();
    const fenceA: LeaseFence = { leaseId: 'scheduler', epoch: 1, holder: 'a' };
    const v = all[0]!.view();
    const placed = append(log, new TransactionBuilder('a-1', 1).update('task', assign(v.tasks.get('t1')!, 'n1')), { fence: fenceA });
    expect(placed.ok).toBe(true);

    // b takes over (epoch 2); a, paused meanwhile, sends what it decided under epoch 1.
    log.tx('take').update('lease', { ...lease('b', 2), meta: all[0]!.view().leases.get('scheduler')!.meta }).commit();
    const before = all.map((s) => s.view().tasks.get('t1')!.nodeId);
    const stale = append(log, new TransactionBuilder('a-2', 2).update('task', assign(all[0]!.view().tasks.get('t1')!, 'n2')), { fence: fenceA });
    expect(stale).toMatchObject({ ok: false, error: { code: 'LeaseLost', leaseId: 'scheduler', claimedEpoch: 1, currentEpoch: 2, currentHolder: 'b' } });
    expect(stale.ok ? '' : stale.error.message).toBe('lease scheduler: write fenced out: it was made under epoch 1, but the lease is at epoch 2 held by b');
    expect(all.map((s) => s.view().tasks.get('t1')!.nodeId)).toEqual(before);
    expect(before).toEqual(['n1', 'n1', 'n1']);
    // Its retry (the same bytes, same id) gets the same refusal, not a second chance.
    const retry = log.append(log.entries.at(-1)!.data);
    expect(retry).toMatchObject({ ok: false, duplicate: true, error: { code: 'LeaseLost' } });

    const fenceB: LeaseFence = { leaseId: 'scheduler', epoch: 2, holder: 'b' };
    expect(append(log, new TransactionBuilder('b-1', 3).update('task', assign(all[0]!.view().tasks.get('t1')!, 'n3')), { fence: fenceB }).ok).toBe(true);
    expect(all.map((s) => s.view().tasks.get('t1')!.nodeId)).toEqual(['n3', 'n3', 'n3']);
  });

  it('refuses a fenced write when the lease is gone, released, or the holder does not match the epoch', () => {
    const { all, log } = stores();
    log.tx('t0').create('task', task('t1', 's1', 1)).commit();
    const fence: LeaseFence = { leaseId: 'scheduler', epoch: 1, holder: 'a' };
    const write = (id: string) => append(log, new TransactionBuilder(id, 1).update('task', all[0]!.view().tasks.get('t1')!), { fence });
    expect(write('w1')).toMatchObject({ ok: false, error: { code: 'LeaseLost', currentEpoch: 0 } });
    log.tx('l').create('lease', lease('a', 1)).commit();
    expect(write('w2').ok).toBe(true);
    log.tx('r').update('lease', { ...lease('', 1), meta: all[0]!.view().leases.get('scheduler')!.meta }).commit();
    expect(write('w3')).toMatchObject({ ok: false, error: { code: 'LeaseLost', currentHolder: '' } });
    const forged = append(log, new TransactionBuilder('w4', 1).update('task', all[0]!.view().tasks.get('t1')!), { fence: { ...fence, holder: 'b' } });
    expect(forged).toMatchObject({ ok: false, error: { code: 'LeaseLost' } });
  });

  it('keeps epochs a fence: never back, and a new holder only with a higher one', () => {
    const { all, log } = stores();
    expect(log.tx('c').create('lease', lease('a', 1)).commit().ok).toBe(true);
    const meta = () => all[0]!.view().leases.get('scheduler')!.meta;
    expect(log.tx('same-epoch').update('lease', { ...lease('b', 1), meta: meta() }).commit()).toMatchObject({
      ok: false,
      error: { code: 'InvalidTransaction', message: 'action 0: lease scheduler taken by b without a new epoch (still 1)' },
    });
    expect(log.tx('back').update('lease', { ...lease('a', 0), meta: meta() }).commit()).toMatchObject({ ok: false, error: { message: 'action 0: lease scheduler epoch 0 would go back from 1' } });
    expect(log.tx('renew').update('lease', { ...lease('a', 1), meta: meta() }).commit().ok).toBe(true);
    expect(log.tx('release').update('lease', { ...lease('', 1), meta: meta() }).commit().ok).toBe(true);
    expect(log.tx('again-same').update('lease', { ...lease('a', 1), meta: meta() }).commit()).toMatchObject({ ok: false, error: { code: 'InvalidTransaction' } });
    expect(log.tx('again').update('lease', { ...lease('a', 2), meta: meta() }).commit().ok).toBe(true);
    // Two candidates reading the same version: compare-and-swap lets one through.
    const read = meta();
    expect(log.tx('c1').update('lease', { ...lease('b', 3), meta: read }).commit().ok).toBe(true);
    expect(log.tx('c2').update('lease', { ...lease('c', 3), meta: read }).commit()).toMatchObject({ ok: false, error: { code: 'VersionConflict' } });
    expect(all.map((s) => s.view().leases.get('scheduler')!.holder)).toEqual(['b', 'b', 'b']);
  });
});

describe('service scopes in apply', () => {
  const cluster = (): Cluster =>
    Cluster.fromPartial({
      id: 'c1',
      spec: { annotations: { name: 'default' } },
      rootCa: { caCert: Buffer.from('CERT'), caKey: Buffer.from('KEY'), caCertHash: 'h', joinTokens: { worker: 'W', manager: 'M', service: 'S' } },
      gossipKeys: [{ key: Buffer.alloc(32, 1), lamportTime: 1 }],
    });

  it('refuses kinds a scope may not write and unfenced writes of a singleton, changing nothing', () => {
    const { all, log } = stores();
    log.tx('t0').create('task', task('t1', 's1', 1)).create('lease', lease('a', 1)).commit();
    const fence = { leaseId: 'scheduler', epoch: 1, holder: 'a' };
    const secret = Secret.fromPartial({ id: 'x', spec: { annotations: { name: 'x' } } });
    expect(append(log, new TransactionBuilder('s1', 1).create('secret', secret), { scope: 'scheduler', fence })).toMatchObject({
      ok: false,
      error: { code: 'InvalidTransaction', message: 'the scheduler service may not write secret objects (action 0, secret x)' },
    });
    expect(append(log, new TransactionBuilder('s2', 1).update('task', all[0]!.view().tasks.get('t1')!), { scope: 'scheduler' })).toMatchObject({
      ok: false,
      error: { message: 'a write of the scheduler service must carry the fence of lease scheduler (it acts only while holding it)' },
    });
    expect(append(log, new TransactionBuilder('s3', 1).create('lease', Lease.fromPartial({ id: 'orchestrator', holder: 'a', epoch: 1 })), { scope: 'scheduler' })).toMatchObject({
      ok: false,
      error: { message: 'the scheduler service may write only its own lease, not lease orchestrator' },
    });
    expect(append(log, new TransactionBuilder('s4', 1).update('task', all[0]!.view().tasks.get('t1')!), { scope: 'scheduler', fence }).ok).toBe(true);
    expect(all[0]!.view().secrets.count).toBe(0);
  });

  it("a dispatcher's cluster update changes only the gossip keyring, whatever else it wrote", () => {
    const { all, log } = stores();
    log.tx('c').create('cluster', cluster()).create('lease', Lease.fromPartial({ id: 'dispatcher', holder: 'd', epoch: 1 })).commit();
    const seen = all[0]!.view().clusters.get('c1')!;
    // What the dispatcher saw (keys and tokens redacted), with a new keyring and a forged root.
    const written: Cluster = {
      ...seen,
      rootCa: { ...seen.rootCa!, caKey: Buffer.alloc(0), caCert: Buffer.from('EVIL'), joinTokens: { worker: '', manager: '', service: '' } },
      gossipKeys: [{ key: Buffer.alloc(32, 2), lamportTime: 2, createdAtMs: 0 }],
    };
    const r = append(log, new TransactionBuilder('g', 5).update('cluster', written), { scope: 'dispatcher', fence: { leaseId: 'dispatcher', epoch: 1, holder: 'd' } });
    expect(r.ok).toBe(true);
    for (const s of all) {
      const c = s.view().clusters.get('c1')!;
      expect(Buffer.from(c.rootCa!.caKey).toString()).toBe('KEY');
      expect(Buffer.from(c.rootCa!.caCert).toString()).toBe('CERT');
      expect(c.rootCa!.joinTokens).toEqual({ worker: 'W', manager: 'M', service: 'S' });
      expect(c.gossipKeys.map((k) => k.lamportTime)).toEqual([2]);
    }
  });
});
