import {
  Node,
  NodeAvailability,
  NodeRole,
  NodeState,
  Task,
  TaskState,
} from '@flotilla/api';

export const GiB = 1024 ** 3;
export const CPU = 1e9;

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  cpus?: number;
  memoryBytes?: number;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  hostname?: string;
  role?: NodeRole;
  os?: string;
  arch?: string;
}

export function node(id: string, o: NodeOptions = {}): Node {
  return Node.fromPartial({
    id,
    role: o.role ?? NodeRole.NODE_ROLE_WORKER,
    spec: {
      annotations: { name: id, labels: o.labels ?? {} },
      availability: o.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE,
    },
    description: {
      hostname: o.hostname ?? `host-${id}`,
      platform: { os: o.os ?? 'linux', architecture: o.arch ?? 'x86_64' },
      resources: { nanoCpus: (o.cpus ?? 4) * CPU, memoryBytes: o.memoryBytes ?? 8 * GiB },
      engine: { engineVersion: '20.10', labels: o.engineLabels ?? {} },
    },
    status: { state: o.state ?? NodeState.NODE_STATE_READY },
  });
}

export interface TaskOptions {
  serviceId?: string;
  nodeId?: string;
  state?: TaskState;
  desiredState?: TaskState;
  cpus?: number;
  memoryBytes?: number;
  constraints?: string[];
  slot?: number;
  preferences?: string[];
  maxReplicas?: number;
}

export function task(id: string, o: TaskOptions = {}): Task {
  return Task.fromPartial({
    id,
    serviceId: o.serviceId ?? 'svc',
    slot: o.slot ?? 0,
    nodeId: o.nodeId ?? '',
    desiredState: o.desiredState ?? TaskState.TASK_STATE_RUNNING,
    status: { state: o.state ?? (o.nodeId ? TaskState.TASK_STATE_RUNNING : TaskState.TASK_STATE_PENDING) },
    spec: {
      resources: {
        reservations: { nanoCpus: (o.cpus ?? 0) * CPU, memoryBytes: o.memoryBytes ?? 0 },
      },
      placement: { constraints: o.constraints ?? [], preferences: (o.preferences ?? []).map((spread) => ({ spread })), maxReplicas: o.maxReplicas ?? 0 },
    },
  });
}

/** `count` pending tasks of one service, ids `<prefix>-01`, `<prefix>-02`, ... */
export function pending(prefix: string, count: number, o: TaskOptions = {}): Task[] {
  return Array.from({ length: count }, (_, i) => task(`${prefix}-${String(i + 1).padStart(2, '0')}`, o));
}
