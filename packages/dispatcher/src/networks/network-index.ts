// Pure: what each node must know of the overlay networks (NodeNetworkState without its
// session and sequence), from one consistent version of the store's networks, services,
// tasks and nodes. Built once per batch of changes; each node's state is then assembled
// from the index in time proportional to what that node gets.
import {
  NodeState,
  PublishMode,
  TaskState,
  taskStateToNumber,
  type Network,
  type Node,
  type NodeNetworkState,
  type OverlayNetworkState,
  type Service,
  type ServiceEndpoints,
  type Task,
  type TaskEndpoint,
} from '@flotilla/api';

/** The store objects a node's network state is made of. */
export interface NetworkInputs {
  networks: Iterable<Network>;
  services: Iterable<Service>;
  tasks: Iterable<Task>;
  nodes: Iterable<Node>;
}

export type NodeNetworkBody = Pick<NodeNetworkState, 'networks' | 'services'>;

const ASSIGNED = taskStateToNumber(TaskState.TASK_STATE_ASSIGNED);
const RUNNING = taskStateToNumber(TaskState.TASK_STATE_RUNNING);

/**
 * Placed on a node and not yet ended: its container exists or is on its way, so the node
 * has the task's networks and the other nodes need forwarding entries for it.
 */
export function isLiveTask(task: Task): boolean {
  if (task.nodeId === '') return false;
  const state = taskStateToNumber(task.status?.state ?? TaskState.TASK_STATE_NEW);
  return state >= ASSIGNED && state <= RUNNING;
}

/** A load-balancer backend and a DNS answer: running (the agent says RUNNING only once healthy) and meant to. */
export function isServing(task: Task): boolean {
  return task.status?.state === TaskState.TASK_STATE_RUNNING && task.desiredState === TaskState.TASK_STATE_RUNNING;
}

/** Some port of the service is published in ingress mode (allocated ports, or the spec's until allocated). */
export function publishesIngress(service: Service): boolean {
  const ports = service.endpoint?.ports.length ? service.endpoint.ports : (service.spec?.endpoint?.ports ?? []);
  return ports.some((p) => p.publishMode === PublishMode.PUBLISH_MODE_INGRESS);
}

/** Network ids a service is attached to: its VIPs, and its spec's targets (id or name). */
export function serviceNetworkIds(service: Service, networkIdOf: (target: string) => string | undefined): string[] {
  const ids = new Set<string>();
  for (const vip of service.endpoint?.virtualIps ?? []) if (vip.networkId) ids.add(vip.networkId);
  for (const att of service.spec?.task?.networks ?? []) {
    const id = networkIdOf(att.target);
    if (id) ids.add(id);
  }
  return [...ids];
}

export function taskNetworkIds(task: Task): string[] {
  return task.networks.map((n) => n.networkId).filter((id) => id !== '');
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class NetworkIndex {
  private readonly networks = new Map<string, Network>();
  private readonly networkByName = new Map<string, string>();
  private readonly ingressIds: string[] = [];
  private readonly services = new Map<string, Service>();
  private readonly ingressServices = new Set<string>();
  private readonly nodeAddr = new Map<string, string>();
  private readonly readyNodes = new Set<string>();
  private readonly liveTasksByService = new Map<string, Task[]>();
  private readonly nodesByNetwork = new Map<string, Set<string>>();
  private readonly networksByNode = new Map<string, Set<string>>();
  private readonly servicesByNetwork = new Map<string, Set<string>>();

  constructor(inputs: NetworkInputs) {
    for (const n of inputs.networks) {
      this.networks.set(n.id, n);
      if (n.spec?.annotations?.name) this.networkByName.set(n.spec.annotations.name, n.id);
      if (n.spec?.ingress) this.ingressIds.push(n.id);
    }
    this.ingressIds.sort();
    for (const node of inputs.nodes) {
      const addr = node.status?.addr ?? '';
      if (addr) this.nodeAddr.set(node.id, addr);
      if (node.status?.state === NodeState.NODE_STATE_READY) this.readyNodes.add(node.id);
    }
    for (const s of inputs.services) {
      this.services.set(s.id, s);
      if (publishesIngress(s)) this.ingressServices.add(s.id);
      for (const netId of this.networkIdsOfService(s)) addTo(this.servicesByNetwork, netId, s.id);
    }
    for (const t of inputs.tasks) {
      if (!isLiveTask(t)) continue;
      let list = this.liveTasksByService.get(t.serviceId);
      if (!list) this.liveTasksByService.set(t.serviceId, (list = []));
      list.push(t);
      for (const netId of taskNetworkIds(t)) {
        addTo(this.nodesByNetwork, netId, t.nodeId);
        addTo(this.networksByNode, t.nodeId, netId);
        if (this.services.has(t.serviceId)) addTo(this.servicesByNetwork, netId, t.serviceId);
      }
    }
  }

  networkIdOf(target: string): string | undefined {
    return this.networks.has(target) ? target : this.networkByName.get(target);
  }

  networkIdsOfService(service: Service): string[] {
    return serviceNetworkIds(service, (t) => this.networkIdOf(t));
  }

  service(serviceId: string): Service | undefined {
    return this.services.get(serviceId);
  }

  isIngressService(serviceId: string): boolean {
    return this.ingressServices.has(serviceId);
  }

  isIngressNetwork(networkId: string): boolean {
    return this.ingressIds.includes(networkId);
  }

  /** The networks the node gets: those of its live tasks, and always the ingress network. */
  networkIdsOfNode(nodeId: string): string[] {
    const ids = new Set(this.ingressIds);
    for (const id of this.networksByNode.get(nodeId) ?? []) if (this.networks.has(id)) ids.add(id);
    return [...ids].sort();
  }

  stateOf(nodeId: string): NodeNetworkBody {
    const netIds = this.networkIdsOfNode(nodeId);
    const networks: OverlayNetworkState[] = netIds.map((id) => ({ network: this.networks.get(id)!, peerAddrs: this.peersOf(id, nodeId) }));
    const serviceIds = new Set(this.ingressServices);
    for (const id of netIds) for (const s of this.servicesByNetwork.get(id) ?? []) serviceIds.add(s);
    const services = [...serviceIds]
      .map((id) => this.services.get(id)!)
      .sort(byId)
      .map((s) => this.endpointsOf(s));
    return { networks, services };
  }

  /**
   * VTEP addresses of the other nodes that have the network; for ingress every READY node,
   * since every node answers on every published port.
   */
  private peersOf(networkId: string, nodeId: string): string[] {
    const nodes = new Set(this.nodesByNetwork.get(networkId) ?? []);
    if (this.isIngressNetwork(networkId)) for (const n of this.readyNodes) nodes.add(n);
    nodes.delete(nodeId);
    const own = this.nodeAddr.get(nodeId);
    const addrs = new Set<string>();
    for (const n of nodes) {
      const addr = this.nodeAddr.get(n);
      if (addr && addr !== own) addrs.add(addr);
    }
    return [...addrs].sort();
  }

  private endpointsOf(service: Service): ServiceEndpoints {
    const tasks = [...(this.liveTasksByService.get(service.id) ?? [])].sort((a, b) => a.slot - b.slot || byId(a, b));
    return {
      serviceId: service.id,
      serviceName: service.spec?.annotations?.name ?? '',
      endpoint: service.endpoint,
      aliases: [...new Set((service.spec?.task?.networks ?? []).flatMap((n) => n.aliases))].sort(),
      tasks: tasks.map((t): TaskEndpoint => ({
        taskId: t.id,
        slot: t.slot,
        nodeId: t.nodeId,
        nodeAddr: this.nodeAddr.get(t.nodeId) ?? '',
        networks: t.networks,
        serving: isServing(t),
      })),
    };
  }
}
