import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from './store-writer.js';
import { demotionsToSettle, missingVoters, settledDemotion, voterRemovals } from './voter-plan.js';

/** How often a removal held back by the quorum guard, or a failed step, is tried again (node changes try at once). */
export const VOTER_RETRY_MS = 2_000;

/**
 * Leader only: every manager node in the store becomes a Raft voter (a manager that joined
 * through the CA is added here, one single-server change at a time); a voter whose node left, is
 * no manager any more or is asked to become a worker is removed (see voterRemovals: whether or not
 * that node is up, with the quorum guard); then a demoted node that is no voter any more is
 * recorded as a worker (demotionsToSettle). Runs on every node or cluster change, and again after
 * VOTER_RETRY_MS while something is held back or failed.
 */
export function followManagerVoters(member: RaftMember, log: Logger): { stop(): void } {
  const sub = member.store.watch({ kinds: ['node', 'cluster'] });
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let heldBefore = '';
  const retryLater = (): void => {
    clearTimeout(retry);
    retry = setTimeout(() => void reconcile(), VOTER_RETRY_MS);
  };
  const reconcile = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const view = member.store.view();
      for (const raftId of missingVoters(view.nodes.all(), member.status().voters, [...view.clusters.all()][0]?.deniedNodeIds ?? [])) {
        if (stopped || !member.isLeader) return;
        log.info({ raftId }, 'adding a joined manager as a Raft voter');
        await member.addMember(raftId);
        log.info({ raftId, voters: member.status().voters }, 'Raft voter added');
      }
      const { remove, held } = voterRemovals(member.store.view().nodes.all(), member.status().voters, member.id);
      for (const raftId of remove) {
        if (stopped || !member.isLeader) return;
        log.info({ raftId }, 'removing a manager that left or was demoted from the Raft voters');
        await member.removeMember(raftId);
        log.info({ raftId, voters: member.status().voters }, 'Raft voter removed');
      }
      if (held.join() !== heldBefore) {
        if (held.length > 0) log.warn({ raftIds: held }, 'not removing demoted managers from the Raft voters yet: the reachable voters left would be no majority');
        heldBefore = held.join();
      }
      for (const node of demotionsToSettle(member.store.view().nodes.all(), member.status().voters)) {
        if (stopped || !member.isLeader) return;
        await writeStore(member, (v, tx) => {
          const current = v.nodes.get(node.id);
          if (!current || !demotionsToSettle([current], member.status().voters).length) return false;
          tx.update('node', settledDemotion(current));
          return undefined;
        });
        log.info({ demotedNodeId: node.id }, 'demotion complete: the node is out of the Raft voters and recorded as a worker');
      }
      if (held.length > 0) retryLater();
    } catch (err) {
      log.warn({ err }, 'changing the Raft voters to match the managers failed; retrying');
      retryLater();
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      void reconcile();
    }
  };
  void (async () => {
    await reconcile();
    try {
      for await (const _event of sub) await reconcile();
    } catch {
      // closed on stop or by a snapshot restore
    }
  })();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      sub.close();
    },
  };
}
