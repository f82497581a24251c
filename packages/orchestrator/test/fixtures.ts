import {
  Node,
  NodeAvailability,
  NodeState,
  RestartCondition,
  Service,
  ServiceMode,
  Task,
  TaskState,
  type RestartPolicy,
} from '@flotilla/api';

export interface ServiceOptions {
  mode?: ServiceMode;
  replicas?: number;
  restart?: Partial<RestartPolicy>;
  constraints?: string[];
  specVersion?: number;
  maxConcurrent?: number;
  jobIteration?: number;
  /** jobStatus.lastExecution: when the current job iteration began. */
  lastExecution?: number;
}

export function service(id: string, o: ServiceOptions = {}): Service {
  return Service.fromPartial({
    id,
    specVersion: o.specVersion ?? 1,
    ...(o.jobIteration !== undefined || o.lastExecution !== undefined ? { jobStatus: { jobIteration: o.jobIteration ?? 0, lastExecution: o.lastExecution ?? 0 } } : {}),
    spec: {
      maxConcurrent: o.maxConcurrent ?? 0,
      annotations: { name: `${id}-name`, labels: {} },
      mode: o.mode ?? ServiceMode.SERVICE_MODE_REPLICATED,
      replicas: o.replicas ?? 0,
      task: {
        container: { image: 'flotilla/busybox:latest', args: ['sleep', '1000'] },
        restart: {
          condition: RestartCondition.RESTART_CONDITION_ANY,
          delayMs: 0,
          maxAttempts: 0,
          windowMs: 0,
          ...o.restart,
        },
        placement: { constraints: o.constraints ?? [] },
      },
    },
  });
}

export interface TaskOptions {
  serviceId?: string;
  slot?: number;
  nodeId?: string;
  state?: TaskState;
  desiredState?: TaskState;
  createdAt?: number;
  endedAt?: number;
  exitCode?: number;
  specVersion?: number;
  restart?: Partial<RestartPolicy>;
}

export function task(id: string, o: TaskOptions = {}): Task {
  return Task.fromPartial({
    id,
    serviceId: o.serviceId ?? 'web',
    slot: o.slot ?? 0,
    nodeId: o.nodeId ?? '',
    desiredState: o.desiredState ?? TaskState.TASK_STATE_RUNNING,
    specVersion: o.specVersion ?? 1,
    meta: { createdAt: o.createdAt ?? 0, updatedAt: o.endedAt ?? o.createdAt ?? 0 },
    status: {
      state: o.state ?? TaskState.TASK_STATE_RUNNING,
      timestamp: o.endedAt ?? o.createdAt ?? 0,
      container: { exitCode: o.exitCode ?? 0 },
    },
    spec: {
      restart: {
        condition: RestartCondition.RESTART_CONDITION_ANY,
        delayMs: 0,
        maxAttempts: 0,
        windowMs: 0,
        ...o.restart,
      },
    },
  });
}

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  /** When the node joined (meta.createdAt). */
  joinedAt?: number;
}

export function node(id: string, o: NodeOptions = {}): Node {
  return Node.fromPartial({
    id,
    meta: { version: 0, createdAt: o.joinedAt ?? 0, updatedAt: o.joinedAt ?? 0 },
    spec: {
      annotations: { name: id, labels: o.labels ?? {} },
      availability: o.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE,
    },
    status: { state: o.state ?? NodeState.NODE_STATE_READY },
  });
}

/** Ids "id-1", "id-2", ... so created tasks can be asserted exactly. */
export function counterIds(prefix = 'id'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
