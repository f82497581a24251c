// Each singleton manager service's work over a StoreAccess (issue 16). The service packages run
// unchanged: the scheduler, orchestrator and allocator are LeaderGatedServices, told they lead
// while their instance holds the service's lease, and every write they make goes through the
// fenced StoreAccess they are given.
import { AllocatorService } from '@flotilla/allocator';
import type { LeaderGatedService } from '@flotilla/bus';
import { OrchestratorService } from '@flotilla/orchestrator';
import type { StoreAccess } from '@flotilla/raft';
import { SchedulerService } from '@flotilla/scheduler';
import type { Logger } from 'pino';
import type { ProcessServiceName } from './service-selection.js';

/** The scheduler's event-collecting window in flotilla (its package default is 50 ms). */
export const SCHEDULER_WINDOW_MS = 0;

/** What a service does while it acts: started when it may, stopped when it may not any more. */
export interface ServiceBody {
  start(): Promise<void>;
  stop(): Promise<void>;
}

function gated(service: LeaderGatedService): ServiceBody {
  return {
    async start() {
      await service.start();
      await service.setLeader(true);
    },
    async stop() {
      await service.setLeader(false);
      await service.stop();
    },
  };
}

/** `logId` is what the service's logs carry as nodeId: the manager's node id, or the instance id. */
export function serviceBody(name: ProcessServiceName, store: StoreAccess, logId: string, logger: Logger): ServiceBody {
  const common = { store, logger, nodeId: logId };
  switch (name) {
    case 'scheduler':
      // No collecting window: the allocator writes a service's tasks in one transaction, whose
      // events all arrive before the next turn, and events arriving while a pass runs are batched
      // into the next one anyway; a window only added its length to every create.
      return gated(new SchedulerService({ ...common, batchWindowMs: SCHEDULER_WINDOW_MS }));
    case 'orchestrator':
      return gated(new OrchestratorService(common));
    case 'allocator':
      return gated(new AllocatorService(common));
  }
}
