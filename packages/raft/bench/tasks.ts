// The tasks the store benchmarks load: 1 000 services × 100 tasks over 200 nodes, seven index
// entries each (service, node, slot, desired state, label, name).
import { Task, TaskState } from '@flotilla/api';

export const SERVICES = 1_000;
export const NODES = 200;

export function makeTask(i: number): Task {
  const svc = i % SERVICES;
  return Task.fromPartial({
    id: `task${i.toString(36).padStart(20, '0')}`,
    serviceId: `svc${svc.toString(36).padStart(22, '0')}`,
    serviceName: `service-${svc}`,
    slot: Math.floor(i / SERVICES) + 1,
    nodeId: `node${(i % NODES).toString(36).padStart(21, '0')}`,
    desiredState: TaskState.TASK_STATE_RUNNING,
    annotations: { name: `service-${svc}.${Math.floor(i / SERVICES) + 1}`, labels: { app: `app-${svc % 10}` } },
    spec: { container: { image: `registry.local/app-${svc}:1.0`, env: ['MODE=prod'] }, restart: { delayMs: 5000 } },
    status: { state: TaskState.TASK_STATE_RUNNING, timestamp: 1_700_000_000_000, message: 'started', container: { containerId: `c${i}`, pid: 1000 + i } },
    specVersion: 1,
  });
}
