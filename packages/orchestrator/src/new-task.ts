import { Endpoint, Task, TaskSpec, TaskState, newId, taskName, type Service } from '@flotilla/api';

export interface NewTaskOptions {
  /** Replicated: 1..N. Global: 0. */
  slot: number;
  /** Global tasks are created already on their node; '' for replicated. */
  nodeId: string;
  now: number;
  /** Defaults to RUNNING; READY holds a delayed restart until its start time. */
  desiredState?: TaskState;
  /** Injected so reconcilers stay deterministic under test; defaults to api's newId. */
  newId?: () => string;
}

/**
 * A fresh task for a service: state NEW, its own copy of the service's task
 * spec and endpoint, stamped with the service's specVersion so updates can
 * tell old tasks from new.
 */
export function newTask(service: Service, o: NewTaskOptions): Task {
  const id = (o.newId ?? newId)();
  const serviceName = service.spec?.annotations?.name ?? service.id;
  return Task.fromPartial({
    id,
    meta: { version: 0, createdAt: o.now, updatedAt: o.now },
    spec: TaskSpec.fromPartial(service.spec?.task ?? {}),
    serviceId: service.id,
    slot: o.slot,
    nodeId: o.nodeId,
    annotations: { name: taskName(serviceName, o.nodeId !== '' ? o.nodeId : o.slot, id), labels: {} },
    serviceName,
    status: { timestamp: o.now, state: TaskState.TASK_STATE_NEW, message: 'created' },
    desiredState: o.desiredState ?? TaskState.TASK_STATE_RUNNING,
    endpoint: service.endpoint ? Endpoint.fromPartial(service.endpoint) : undefined,
    specVersion: service.specVersion,
    jobIteration: service.jobStatus?.jobIteration ?? 0,
  });
}
