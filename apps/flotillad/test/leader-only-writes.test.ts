// Decisions only the leader may take (a node is down, a node is ready) are proposed on the
// leading member and never forwarded. Found by a 30-minute chaos run: a deposed leader whose
// leader-only services took 61 s to stop (their writes stuck behind the cut network) went on
// marking nodes down through the new leader's store service, and the new leader found every node
// of the swarm down. Three real Raft members on a real nats-server, with the followers' writes
// forwarded to the leader as flotillad wires them (store-writer).
import { Node, NodeRole, NodeState } from '@flotilla/api';
import { isRaftMemberError, type RaftMember } from '@flotilla/raft';
import { tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDispatcherBackend } from '../src/manager/dispatcher-backend.js';
import { awaitReadBarrier } from '../src/manager/linearizable-reads.js';
import { writeStore } from '../src/manager/store-writer.js';
import { startForwardingMembers, type ForwardingMembers } from './helpers/forwarding-members.js';

const IDS = [1, 2, 3];
const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

let tmp: TempDir;
let trio: ForwardingMembers | undefined;
let members = new Map<number, RaftMember>();

beforeAll(async () => {
  tmp = await tempDir('flotilla-leader-only-');
  trio = await startForwardingMembers(tmp.path, IDS);
  members = trio.members;
});

afterAll(async () => {
  await trio?.stop();
  await tmp?.cleanup();
});

const stateOf = (m: RaftMember, nodeId: string): NodeState | undefined => m.store.view().nodes.get(nodeId)?.status?.state;

describe('leader-only decisions', () => {
  it('a follower refuses to record a node down or ready; the leader records it; a plain write is still forwarded', async () => {
    const leader = await waitFor(() => [...members.values()].find((m) => m.isLeader), { what: 'a leader' });
    const follower = [...members.values()].find((m) => m !== leader)!;
    await writeStore(leader, (_view, tx) => {
      tx.create('node', Node.fromPartial({ id: 'w1', role: NodeRole.NODE_ROLE_WORKER, status: { state: NodeState.NODE_STATE_READY, message: '', addr: '' } }));
    });
    await awaitReadBarrier(follower);
    expect(stateOf(follower, 'w1')).toBe(NodeState.NODE_STATE_READY);

    // The follower's dispatcher (a deposed leader's, not stopped yet) decides w1 is down: refused here, not forwarded.
    const stale = new StoreDispatcherBackend(follower, log);
    const refused = await stale.markNodeDown('w1', 'heartbeat failure: no heartbeat for 15000 ms').then(() => undefined, (e: unknown) => e);
    expect(isRaftMemberError(refused, 'NOT_LEADER'), String(refused)).toBe(true);
    expect((refused as Error).message).toBe('this manager no longer leads the swarm, so it does not record that node w1 is down; the leader decides');
    const refusedReady = await stale.markNodeReady('w1', undefined).then(() => undefined, (e: unknown) => e);
    expect((refusedReady as Error).message).toBe('this manager no longer leads the swarm, so it does not record that node w1 is ready; the leader decides');

    // A write of anyone's (a user's service create) from the same follower still goes through the leader:
    // after it is applied everywhere, w1 is still READY on every member.
    await writeStore(follower, (view, tx) => {
      const node = view.nodes.get('w1')!;
      tx.update('node', Node.fromPartial({ ...node, spec: { ...node.spec, annotations: { name: '', labels: { seen: 'yes' } } } }));
    });
    for (const m of members.values()) {
      await awaitReadBarrier(m);
      expect(m.store.view().nodes.get('w1')?.spec?.annotations?.labels).toEqual({ seen: 'yes' });
      expect(stateOf(m, 'w1')).toBe(NodeState.NODE_STATE_READY);
    }

    // The leader's dispatcher decides it: recorded.
    await new StoreDispatcherBackend(leader, log).markNodeDown('w1', 'heartbeat failure: no heartbeat for 15000 ms');
    for (const m of members.values()) {
      await awaitReadBarrier(m);
      expect(stateOf(m, 'w1')).toBe(NodeState.NODE_STATE_DOWN);
    }
  });
});
