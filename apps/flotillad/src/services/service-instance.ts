// One instance of a singleton manager service (issue 16), the same inside a manager's flotillad
// and in `flotillad service <name>`: it acts only while it holds the service's lease, and then
// only through a StoreAccess that stamps the lease's epoch on every write, so the store refuses
// whatever it still sends once another instance took the lease over.
import type { Lease, LeaseHolderInfo, ServiceInstanceStatus } from '@flotilla/api';
import { LeaseRunner, fencedStoreAccess, type StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { ServiceBody } from './service-bodies.js';
import type { ProcessServiceName } from './service-selection.js';

export interface ServiceInstanceOptions {
  service: ProcessServiceName;
  /** The store as this instance sees it (its manager's own member, or a replica followed over NATS). */
  access: StoreAccess;
  instanceId: string;
  holderInfo: LeaseHolderInfo;
  /** The service's work over the fenced StoreAccess it must use. */
  body(fenced: StoreAccess): ServiceBody;
  mayPreempt?: (lease: Lease) => boolean;
  /** Lease duration; LEADER_TIED_DURATION_MS for an instance inside the Raft leader's flotillad. */
  leaseDurationMs?: number;
  /** Wraps the writes below the fence (fault injection in tests: see fault-delay.ts). */
  wrapWrites?: (access: StoreAccess) => StoreAccess;
  log: Logger;
}

export interface ServiceInstance {
  readonly service: ProcessServiceName;
  readonly instanceId: string;
  status(): ServiceInstanceStatus;
  /** Stops acting and releases the lease when holding it, so another instance takes over at once. */
  stop(): Promise<void>;
}

export function startServiceInstance(o: ServiceInstanceOptions): ServiceInstance {
  const startedAtMs = Date.now();
  const log = o.log.child({ service: o.service, instanceId: o.instanceId });
  let body: ServiceBody | undefined;
  const runner: LeaseRunner = new LeaseRunner({
    access: o.access,
    leaseId: o.service,
    instanceId: o.instanceId,
    holderInfo: o.holderInfo,
    ...(o.leaseDurationMs !== undefined ? { durationMs: o.leaseDurationMs } : {}),
    ...(o.mayPreempt ? { mayPreempt: o.mayPreempt } : {}),
    logger: log,
    onAcquire: async () => {
      const b = o.body(fenced);
      await b.start();
      body = b;
    },
    onLose: async () => {
      const b = body;
      body = undefined;
      await b?.stop();
    },
  });
  const fenced = fencedStoreAccess(o.wrapWrites ? o.wrapWrites(o.access) : o.access, runner, log);
  runner.start();
  return {
    service: o.service,
    instanceId: o.instanceId,
    status: () => ({
      service: o.service,
      instanceId: o.instanceId,
      host: o.holderInfo.host,
      pid: o.holderInfo.pid,
      managerNodeId: o.holderInfo.managerNodeId,
      active: runner.fence !== undefined,
      leaseEpoch: runner.fence?.epoch ?? 0,
      storeIndex: o.access.view().index,
      startedAtMs,
    }),
    stop: () => runner.stop(),
  };
}
