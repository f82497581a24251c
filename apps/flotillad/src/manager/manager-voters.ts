import { NodeRole, type Node } from '@flotilla/api';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';

/**
 * Raft ids of the manager nodes in the store that are not voters yet. A denied node never
 * becomes one: a removed node, or a manager dropped by `swarm init --force-new-cluster` (its Node
 * object stays, its vote must not come back). Pure.
 */
export function missingVoters(nodes: Iterable<Node>, voters: readonly number[], denied: readonly string[]): number[] {
  const have = new Set(voters);
  const refused = new Set(denied);
  const missing: number[] = [];
  for (const n of nodes) {
    const id = n.managerStatus?.raftId ?? 0;
    if (n.role === NodeRole.NODE_ROLE_MANAGER && id > 0 && !have.has(id) && !refused.has(n.id)) missing.push(id);
  }
  return missing;
}

/** Voters (other than `self`) that no manager node in the store stands for any more: left or demoted. Pure. */
export function departedVoters(nodes: Iterable<Node>, voters: readonly number[], self: number): number[] {
  const wanted = new Set<number>();
  for (const n of nodes) {
    const id = n.managerStatus?.raftId ?? 0;
    if (n.role === NodeRole.NODE_ROLE_MANAGER && id > 0) wanted.add(id);
  }
  return voters.filter((v) => v !== self && !wanted.has(v));
}

/**
 * Leader only: every manager node in the store becomes a Raft voter (a manager that joined
 * through the CA is added here, one single-server change at a time) and a voter whose node left
 * or is no manager any more is removed. Retries after a failure
 * on the next node change or after a second.
 */
export function followManagerVoters(member: RaftMember, log: Logger): { stop(): void } {
  const sub = member.store.watch({ kinds: ['node', 'cluster'] });
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let running = false;
  const reconcile = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      const view = member.store.view();
      for (const raftId of missingVoters(view.nodes.all(), member.status().voters, [...view.clusters.all()][0]?.deniedNodeIds ?? [])) {
        if (stopped || !member.isLeader) return;
        log.info({ raftId }, 'adding a joined manager as a Raft voter');
        await member.addMember(raftId);
        log.info({ raftId, voters: member.status().voters }, 'Raft voter added');
      }
      for (const raftId of departedVoters(member.store.view().nodes.all(), member.status().voters, member.id)) {
        if (stopped || !member.isLeader) return;
        log.info({ raftId }, 'removing a manager that left from the Raft voters');
        await member.removeMember(raftId);
        log.info({ raftId, voters: member.status().voters }, 'Raft voter removed');
      }
    } catch (err) {
      log.warn({ err }, 'adding a manager as a Raft voter failed; retrying');
      clearTimeout(retry);
      retry = setTimeout(() => void reconcile(), 1_000);
    } finally {
      running = false;
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
