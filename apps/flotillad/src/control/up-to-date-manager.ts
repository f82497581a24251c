import { isRaftMemberError } from '@flotilla/raft';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import { awaitReadBarrier, NoReadLeader } from '../manager/linearizable-reads.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { unavailable } from './control-error.js';

/**
 * The running manager once a read barrier has passed: its store then holds everything the swarm
 * committed before this call, so what the handler reads is what the leader would answer (docker
 * forwards reads to the leader for the same reason). Every control call on a manager starts
 * here, writes too (they look objects up first). A manager that cannot reach a leader answers
 * UNAVAILABLE instead of its own, possibly stale, view.
 */
export async function upToDateManager(swarm: SwarmController): Promise<ManagerRuntime> {
  const rt = swarm.requireManager();
  try {
    await awaitReadBarrier(rt.member);
  } catch (err) {
    if (err instanceof NoReadLeader) {
      throw unavailable(`this manager cannot reach a Raft leader (${err.message}): its view may be stale; try another manager`);
    }
    if (isRaftMemberError(err, 'NO_SPACE')) throw unavailable(`this manager cannot confirm what it reads (${err.message}); try another manager`);
    if (isRaftMemberError(err)) throw unavailable(`this manager's Raft member is not running (${err.message}); try another manager`);
    throw err;
  }
  return rt;
}
