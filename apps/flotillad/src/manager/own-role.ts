import { NodeRole } from '@flotilla/api';
import type { RaftMember } from '@flotilla/raft';

/**
 * Calls `onDemoted` whenever this manager's own Node object asks for the worker role (`node demote`,
 * `node update --role worker`), at start too (demoted while it was down). The owner decides whether
 * the call is still current; a watch closed by a snapshot restore is opened again.
 */
export function followOwnRole(member: RaftMember, nodeId: string, onDemoted: () => void): { stop(): void } {
  let stopped = false;
  let sub = member.store.watch({ kinds: ['node'] });
  const check = () => {
    if (!stopped && member.store.view().nodes.get(nodeId)?.spec?.desiredRole === NodeRole.NODE_ROLE_WORKER) onDemoted();
  };
  void (async () => {
    while (!stopped) {
      check();
      try {
        for await (const event of sub) {
          if (event.object?.kind?.$case === 'node' && event.object.kind.value.id === nodeId) check();
        }
      } catch {
        // closed by a snapshot restore (or on stop): look again below
      }
      if (stopped) return;
      // A store that closes every watch at once (its member stopping) must not spin this loop.
      await new Promise((resolve) => setTimeout(resolve, 100));
      sub = member.store.watch({ kinds: ['node'] });
    }
  })();
  return {
    stop: () => {
      stopped = true;
      sub.close();
    },
  };
}
