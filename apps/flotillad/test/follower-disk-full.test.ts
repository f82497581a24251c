// A follower manager whose Raft disk is full, with users' writes sent to it: three real Raft
// members on a real nats-server, each with its store service and the follower's writes forwarded
// to the leader as flotillad wires them (store-writer), and the follower's data dir on a real,
// small tmpfs (mounted here; the tests run as root). Every write sent to the follower either
// succeeds or is answered with the clear NO_SPACE error, never a timeout; the leader and the
// other follower carry on; once space returns the follower catches up and takes writes again.
import { execFile } from 'node:child_process';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Network } from '@flotilla/api';
import { status as GrpcStatus, type ServerUnaryCall } from '@grpc/grpc-js';
import { isRaftMemberError, type RaftMember } from '@flotilla/raft';
import { fillDisk, tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '../src/control/unary.js';
import { awaitReadBarrier } from '../src/manager/linearizable-reads.js';
import { writeStore } from '../src/manager/store-writer.js';
import { startForwardingMembers, type ForwardingMembers } from './helpers/forwarding-members.js';

const run = promisify(execFile);
const IDS = [1, 2, 3];
/** The member whose data dir is on the small disk; never the leader when its disk fills. */
const FULL = 3;

let tmp: TempDir;
let trio: ForwardingMembers | undefined;
let mnt = '';
let mounted = false;
const members = new Map<number, RaftMember>();

beforeAll(async () => {
  tmp = await tempDir('flotilla-follower-diskfull-');
  mnt = join(tmp.path, 'small-disk');
  await mkdir(mnt);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  mounted = true;
  trio = await startForwardingMembers(tmp.path, IDS, (id) => ({
    ...(id === FULL ? { dataDir: join(mnt, 'raft') } : {}),
    noSpaceRetryMs: 100,
    wal: { segmentBytes: 32 * 1024, compactionTail: 5 },
  }));
  for (const [id, m] of trio.members) members.set(id, m);
});

afterAll(async () => {
  await trio?.stop();
  if (mounted) await run('umount', ['-l', mnt]);
  await tmp?.cleanup();
});

const member = (id: number): RaftMember => members.get(id)!;

/** Creates network `name` (padded, so a few hundred writes use real space) through `m`. */
const createNetwork = (m: RaftMember, name: string): Promise<number | undefined> =>
  writeStore(m, (_view, tx) => {
    tx.create('network', Network.fromPartial({ id: `net-${name}`, spec: { annotations: { name, labels: { pad: 'p'.repeat(2_000) } } } }));
  });

/** The gRPC status a control call answers with when its handler throws `err`. */
function controlAnswer(err: unknown): Promise<{ code: number | undefined; details: string | undefined }> {
  return new Promise((resolve) => {
    const call = { request: {} } as ServerUnaryCall<object, object>;
    unary(pino({ level: 'silent' }), 'NetworkCreate', () => Promise.reject(err))(call, (e) => resolve({ code: e?.code, details: e?.details }));
  });
}

describe('a follower manager whose disk is full', () => {
  it('answers writes sent to it with the clear NO_SPACE error or takes them, never a timeout, and catches up when space returns', async () => {
    const leader = await waitFor(() => [...members.values()].find((m) => m.isLeader), { what: 'a leader' });
    if (leader.id === FULL) {
      leader.transferLeadership(1);
      await waitFor(() => [...members.values()].find((m) => m.isLeader && m.id !== FULL), { what: 'leadership to move off the small disk' });
    }
    const follower = member(FULL);
    const acked: string[] = [];
    for (let i = 0; i < 3; i++) {
      await createNetwork(follower, `before-${i}`);
      acked.push(`before-${i}`);
    }

    const filler = await fillDisk(mnt);
    // The WAL may still append into the page it last wrote: write through the follower until one
    // is not taken. Without a clear answer the forwarded write waited its whole deadline for the
    // follower to apply what the leader had committed, then failed as a TIMEOUT.
    let first: unknown;
    let firstName = '';
    for (let i = 0; i < 200 && first === undefined; i++) {
      const err = await createNetwork(follower, `f-${i}`).then(() => undefined, (e: unknown) => e);
      if (err === undefined) acked.push(`f-${i}`);
      else [first, firstName] = [err, `f-${i}`];
    }
    expect(isRaftMemberError(first, 'NO_SPACE'), String(first)).toBe(true);
    const full = `no space left on device under ${join(mnt, 'raft')} on manager node-${FULL}`;
    const refusal = `${full}: write refused`;
    // Forwarded and committed by the leader before the follower found its disk full (what happens
    // here: the follower's WAL is the first to find the disk full): it says so. Else refused.
    const committed = (first as Error).message.startsWith(`${full}: the leader committed this write at index `);
    expect(committed || (first as Error).message === refusal, (first as Error).message).toBe(true);
    // What the user is told: that the disk is full, not that the swarm could not take the change.
    expect(await controlAnswer(first)).toEqual({ code: GrpcStatus.UNAVAILABLE, details: `this manager's disk is full (NO_SPACE): ${(first as Error).message}` });
    // Later writes are refused before they go anywhere, and reads cannot be confirmed: said at once.
    const refused = await createNetwork(follower, 'refused').then(() => undefined, (e: unknown) => e);
    expect(isRaftMemberError(refused, 'NO_SPACE'), String(refused)).toBe(true);
    expect((refused as Error).message).toBe(refusal);
    const read = await awaitReadBarrier(follower).then(() => undefined, (e: unknown) => e);
    expect(isRaftMemberError(read, 'NO_SPACE'), String(read)).toBe(true);
    expect(follower.failed).toBeUndefined();

    // The swarm carries on without the follower: the leader and the other follower take writes.
    const other = IDS.find((id) => id !== FULL && !member(id).isLeader)!;
    await createNetwork(member(other), 'meanwhile');
    acked.push('meanwhile');

    await unlink(filler);
    await waitFor(() => follower.writeRefusal === undefined, { what: 'the follower to resume' });
    await createNetwork(follower, 'after');
    acked.push('after');
    await awaitReadBarrier(follower);
    for (const id of IDS) {
      await awaitReadBarrier(member(id));
      const view = member(id).store.view();
      expect(acked.filter((n) => view.get('network', `net-${n}`) === undefined), `missing on member ${id}`).toEqual([]);
      expect(view.get('network', `net-${firstName}`) !== undefined, `${firstName} on member ${id}`).toBe(committed);
      expect(view.get('network', 'net-refused')).toBeUndefined();
    }
  }, 90_000);
});
