// The singleton manager services a manager runs inside its own flotillad (issue 16, `--services`,
// default all), started while it leads Raft and stopped when the leadership goes. Each takes its
// service's lease tied to the leadership (duration 0: no renewals; Raft's term fences it, since
// its writes go to this member's log only while it leads), taking over at once from an instance
// inside another manager (that one lost the leadership), and waiting out a lease held by a
// `flotillad service <name>` process like any other candidate. A service this manager does not
// run is released if another manager's in-process instance still holds it, so the processes
// take it over at once.
import { hostname } from 'node:os';
import type { Lease, ServiceInstanceStatus } from '@flotilla/api';
import { LEADER_TIED_DURATION_MS, TransactionBuilder, localStoreAccess, released, type RaftMember } from '@flotilla/raft';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { faultDelayFromEnv } from './fault-delay.js';
import { serviceBody } from './service-bodies.js';
import { startServiceInstance, type ServiceInstance } from './service-instance.js';
import { PROCESS_SERVICES, type ProcessServiceName } from './service-selection.js';

export interface InProcessServices {
  statuses(): ServiceInstanceStatus[];
  stop(): Promise<void>;
}

/** The lease is held by an instance inside a manager's flotillad (not by a service process). */
export const heldInProcess = (lease: Lease): boolean => (lease.holderInfo?.managerNodeId ?? '') !== '';

export function startInProcessServices(member: RaftMember, nodeId: string, services: readonly ProcessServiceName[], log: Logger): InProcessServices {
  const access = localStoreAccess(member);
  const holderInfo = { host: hostname(), pid: process.pid, managerNodeId: nodeId };
  const delay = faultDelayFromEnv(process.env, log);
  const instances: ServiceInstance[] = services.map((service) =>
    startServiceInstance({
      service,
      access,
      instanceId: nodeId,
      holderInfo,
      leaseDurationMs: LEADER_TIED_DURATION_MS,
      mayPreempt: heldInProcess,
      ...(delay ? { wrapWrites: delay } : {}),
      log,
      body: (fenced) => serviceBody(service, fenced, nodeId, log),
    }),
  );
  const others = PROCESS_SERVICES.filter((s) => !services.includes(s));
  const releasing = releaseInProcessLeases(member, others, log);
  return {
    statuses: () => instances.map((i) => i.status()),
    async stop() {
      await releasing;
      // Each releases its lease as it stops (when this member still leads); otherwise the next
      // leader's instances take it over at once.
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}

/** Frees the leases of `services` that an in-process instance (of any manager) holds: this manager runs them as processes now. */
async function releaseInProcessLeases(member: RaftMember, services: readonly ProcessServiceName[], log: Logger): Promise<void> {
  const view = member.store.view();
  const tx = new TransactionBuilder(`lease-release-${randomUUID()}`, Date.now());
  for (const s of services) {
    const lease = view.leases.get(s);
    if (lease !== undefined && lease.holder !== '' && heldInProcess(lease)) tx.update('lease', released(lease));
  }
  if (tx.size === 0) return;
  try {
    await localStoreAccess(member).propose(tx.build());
    log.info({ services }, 'released the leases an in-process instance held: these services run as their own processes');
  } catch (err) {
    log.warn({ err, services }, 'releasing in-process leases failed; the next leader tries again');
  }
}
