import type { BusConnection, ClusterSubjects } from '@flotilla/bus';
import { AllocatorService } from '@flotilla/allocator';
import { OrchestratorService } from '@flotilla/orchestrator';
import { localStoreAccess, type RaftMember } from '@flotilla/raft';
import { SchedulerService } from '@flotilla/scheduler';
import type { Logger } from 'pino';

/** The scheduler's event-collecting window on a flotillad (its package default is 50 ms). */
export const SCHEDULER_WINDOW_MS = 0;

export interface LeaderServices {
  stop(): Promise<void>;
}

export interface LeaderServicesContext {
  member: RaftMember;
  bus: BusConnection;
  subjects: ClusterSubjects;
  clusterId: string;
  nodeId: string;
  log: Logger;
}

/**
 * The store-driven manager services that run on the Raft leader only: orchestrator (tasks for
 * slots), allocator (NEW -> PENDING) and scheduler (PENDING -> ASSIGNED). They live in their
 * own packages; flotillad only starts them with the leadership and stops them when it goes.
 */
export async function startLeaderServices(ctx: LeaderServicesContext): Promise<LeaderServices> {
  const store = localStoreAccess(ctx.member);
  const common = { store, logger: ctx.log, nodeId: ctx.nodeId };
  // No collecting window for the scheduler: the allocator writes a service's tasks in one
  // transaction, whose events all arrive before the next turn, and events arriving while a pass
  // runs are batched into the next one anyway; a window only added its length to every create.
  const services = [new OrchestratorService(common), new AllocatorService(common), new SchedulerService({ ...common, batchWindowMs: SCHEDULER_WINDOW_MS })];
  for (const s of services) {
    await s.start();
    await s.setLeader(true);
  }
  return {
    stop: async () => {
      for (const s of [...services].reverse()) {
        await s.setLeader(false);
        await s.stop();
      }
    },
  };
}
