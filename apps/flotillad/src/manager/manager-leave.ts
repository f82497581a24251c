import { NodeRole } from '@flotilla/api';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from './store-writer.js';

const STEP_MS = 10_000;
const GIVE_UP_MS = 60_000;
const HANDOVER_RETRY_MS = 2_000;

/**
 * A manager leaving a swarm that has other managers: hands leadership over if it has it, marks
 * its Node object as no longer a manager (written through the leader), after which the leader's
 * voter reconciler takes it out of the Raft configuration, so its vote stops counting.
 */
export async function leaveManagerGroup(member: RaftMember, nodeId: string, log: Logger): Promise<void> {
  await handLeadershipOver(member, log);
  await writeStore(member, (view, tx) => {
    const node = view.nodes.get(nodeId);
    if (!node || node.role !== NodeRole.NODE_ROLE_MANAGER) return false;
    const { managerStatus: _gone, ...rest } = node;
    tx.update('node', { ...rest, role: NodeRole.NODE_ROLE_WORKER, spec: node.spec ? { ...node.spec, desiredRole: NodeRole.NODE_ROLE_WORKER } : node.spec });
    return undefined;
  });
  // The leader's voter reconciler now removes us; that change commits with the other voters'
  // acknowledgements alone, and a removed member is never told, so there is nothing to wait for here.
  log.info({ raftId: member.id }, 'marked as no longer a manager; the leader removes it from the Raft voters');
}

/**
 * A manager being demoted (its Node already asks for the worker role): nothing to write, the
 * leader removes it from the voters and records it as a worker by itself (a write of its own could
 * only conflict: once removed it no longer receives the log, so its view of its Node is stale). A
 * leader never removes itself, so one leading hands leadership over first.
 */
export async function handLeadershipOver(member: RaftMember, log: Logger): Promise<void> {
  if (!member.isLeader) return;
  const other = member.status().voters.find((v) => v !== member.id);
  if (other === undefined) return;
  log.info({ to: other }, 'leaving: handing Raft leadership over');
  member.transferLeadership(other);
  await until(() => !member.isLeader && member.leaderId !== 0, `leadership to move away from ${member.id}`);
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${STEP_MS / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * After leaveManagerGroup: waits until this member has applied its own removal from the voters, so
 * it stops only once the others no longer count on its vote. The leader never removes itself, and
 * an election while the demotion was written can hand leadership back to us: then it is handed over
 * again. A follower that has not seen its removal after STEP_MS goes on, leader in sight or not:
 * a removed member is not always told (the leader, which removes a demoted voter on its own, stops
 * talking to it at once, so it commonly sees no leader at all), and it must stop well within the
 * grace before its routes are cut (LEFT_VOTER_GRACE_MS). One still leading after GIVE_UP_MS
 * throws, and stays a manager rather than leave the others without a quorum.
 */
export async function waitUntilNotVoter(runtime: { member: RaftMember }, log: Logger): Promise<void> {
  const { member } = runtime;
  const began = Date.now();
  let handedOverAt = 0;
  while (member.status().voters.includes(member.id)) {
    const waited = Date.now() - began;
    if (member.isLeader) {
      if (waited > GIVE_UP_MS) throw new Error(`Raft member ${member.id} still leads and is a voter after ${GIVE_UP_MS / 1000}s; staying a manager`);
      const other = member.status().voters.find((v) => v !== member.id);
      if (other !== undefined && Date.now() - handedOverAt > HANDOVER_RETRY_MS) {
        log.info({ to: other }, 'leading again while leaving the voters: handing Raft leadership over');
        member.transferLeadership(other);
        handedOverAt = Date.now();
      }
    } else if (waited > STEP_MS) {
      log.warn({ raftId: member.id, leader: member.leaderId }, 'stopping as a manager before the removal from the voters was seen here');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
