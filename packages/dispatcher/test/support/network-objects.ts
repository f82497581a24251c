// Store objects for the network-state tests, and an in-memory NetworkStateSource. The source
// is in memory because the dispatcher package does not own the store (flotillad implements
// the source over it, and its e2e tests run that one); it emits StoreEvents exactly as the
// store does (object = new state, old = previous).
import {
  Network,
  Node,
  NodeState,
  PublishMode,
  Service,
  StoreOp,
  Task,
  TaskState,
  type StoreEvent,
  type StoreObject,
} from '@flotilla/api';
import type { AssignmentWatch } from '../../src/backend.js';
import type { NetworkInputs } from '../../src/networks/network-index.js';
import type { NetworkStateSource } from '../../src/networks/network-state-publisher.js';

export function overlay(id: string, name: string, subnet: string, vni: number, ingress = false): Network {
  const gateway = subnet.replace(/0\/\d+$/, '1');
  return Network.fromPartial({
    id,
    spec: { annotations: { name }, driver: 'overlay', ingress },
    status: { ipam: [{ subnet, gateway }], vxlanId: vni },
  });
}

export function node(id: string, addr: string, state = NodeState.NODE_STATE_READY): Node {
  return Node.fromPartial({ id, status: { state, addr } });
}

export function service(id: string, name: string, opts: { networks?: string[]; vips?: Record<string, string>; publish?: number } = {}): Service {
  const ports = opts.publish ? [{ targetPort: 80, publishedPort: opts.publish, publishMode: PublishMode.PUBLISH_MODE_INGRESS }] : [];
  return Service.fromPartial({
    id,
    spec: { annotations: { name }, task: { networks: (opts.networks ?? []).map((target) => ({ target })) }, endpoint: { ports } },
    endpoint: { ports, virtualIps: Object.entries(opts.vips ?? {}).map(([networkId, addr]) => ({ networkId, addr })) },
  });
}

export function task(
  id: string,
  serviceId: string,
  nodeId: string,
  addrs: Record<string, string>,
  state = TaskState.TASK_STATE_RUNNING,
  desired = TaskState.TASK_STATE_RUNNING,
  slot = 1,
): Task {
  return Task.fromPartial({
    id,
    serviceId,
    slot,
    nodeId,
    desiredState: desired,
    status: { state },
    networks: Object.entries(addrs).map(([networkId, addr]) => ({ networkId, addresses: [addr] })),
  });
}

type Obj = Network | Node | Service | Task;
type KindName = 'network' | 'node' | 'service' | 'task';

function wrap(kind: KindName, value: Obj): StoreObject {
  return { kind: { $case: kind, value } } as StoreObject;
}

export class MemoryNetworkSource implements NetworkStateSource {
  readonly tables: Record<KindName, Map<string, Obj>> = { network: new Map(), node: new Map(), service: new Map(), task: new Map() };
  private readonly watchers = new Set<{ onEvent: (e: StoreEvent) => void; onLost: () => void }>();
  reads = 0;

  read(): NetworkInputs {
    this.reads++;
    // Copies: a later put must not change a version already read.
    return {
      networks: [...this.tables.network.values()] as Network[],
      nodes: [...this.tables.node.values()] as Node[],
      services: [...this.tables.service.values()] as Service[],
      tasks: [...this.tables.task.values()] as Task[],
    };
  }

  watch(onEvent: (e: StoreEvent) => void, onLost: () => void): AssignmentWatch {
    const w = { onEvent, onLost };
    this.watchers.add(w);
    return { stop: () => this.watchers.delete(w) };
  }

  put(kind: KindName, value: Obj): void {
    const old = this.tables[kind].get(value.id);
    this.tables[kind].set(value.id, value);
    this.emit({ index: 0, op: old ? StoreOp.STORE_OP_UPDATE : StoreOp.STORE_OP_CREATE, object: wrap(kind, value), ...(old ? { old: wrap(kind, old) } : {}) });
  }

  delete(kind: KindName, id: string): void {
    const old = this.tables[kind].get(id);
    if (!old) return;
    this.tables[kind].delete(id);
    this.emit({ index: 0, op: StoreOp.STORE_OP_DELETE, object: wrap(kind, old), old: wrap(kind, old) });
  }

  lose(): void {
    for (const w of this.watchers) w.onLost();
  }

  private emit(e: StoreEvent): void {
    for (const w of this.watchers) w.onEvent(e);
  }
}
