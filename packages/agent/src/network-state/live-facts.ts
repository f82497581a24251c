// Pure: the dispatcher's NodeNetworkState merged with the live facts of the gossip network DB
// (which task endpoints serve where, and each node's VTEP), the way libnetwork splits them:
// desired state (networks, VNIs, subnets, VIPs, which services exist) comes from the managers,
// the live facts travel node to node and reach every node without a manager round trip.
import type { NetworkAttachment, NetworkDbEndpoint, NetworkDbVtep, NodeNetworkState, ServiceEndpoints, TaskEndpoint } from '@flotilla/api';
import { addressOf } from './overlay-desired.js';

/** What the network DB holds for one network whose gossip group this node is in. */
export interface LiveNetworkFacts {
  /** Nodes in the network's group (this one included); the DB hides rows of nodes gossip says are gone. */
  readonly members: readonly string[];
  readonly vteps: readonly NetworkDbVtep[];
  readonly endpoints: readonly NetworkDbEndpoint[];
}

/** Network id → its live facts, for the networks whose group this node is in. */
export type LiveFacts = ReadonlyMap<string, LiveNetworkFacts>;

/**
 * The merge rule. For a network of the state whose group this node is in, a node is
 * *authoritative* when it is in the group (so alive in gossip) and its VTEP row has arrived:
 * its owner writes the VTEP right after joining and before any endpoint, so from then on its
 * rows are its complete, current view of its own tasks. Then:
 *
 * - a task of an authoritative node serves exactly when its endpoint row is live (a tombstone,
 *   a stopped or unhealthy task, takes it out of every node's load balancer at once, whatever
 *   the dispatcher last said);
 * - an endpoint row of an authoritative node for a task the dispatcher does not list yet is
 *   added to its service (when the state knows the service: the VIP is the managers' to give),
 *   with slot 0 until the dispatcher's state names it;
 * - the peers are the dispatcher's plus every VTEP row (an extra forwarding entry is harmless).
 *
 * Everything else, networks outside any group and nodes not (yet) authoritative, is the
 * dispatcher's as it is: nothing regresses while gossip is not up (a node that just joined,
 * a member gossip declared dead, a daemon without the network DB).
 */
export function mergeLiveFacts(state: NodeNetworkState, facts: LiveFacts, self: { nodeId: string; addr: string }): NodeNetworkState {
  if (facts.size === 0) return state;
  const authority = new Map<string, Map<string, string>>(); // networkId → nodeId → VTEP addr
  const serving = new Map<string, Set<string>>(); // networkId → task ids with a live row
  const networks = state.networks.map((n) => {
    const id = n.network?.id ?? '';
    const f = facts.get(id);
    if (!f) return n;
    const members = new Set(f.members);
    const vteps = new Map(f.vteps.filter((v) => members.has(v.nodeId)).map((v) => [v.nodeId, v.addr]));
    authority.set(id, vteps);
    serving.set(id, new Set(f.endpoints.filter((e) => vteps.has(e.nodeId)).map((e) => e.taskId)));
    const peers = new Set(n.peerAddrs);
    for (const [nodeId, addr] of vteps) if (nodeId !== self.nodeId && addr !== self.addr) peers.add(addr);
    return { ...n, peerAddrs: [...peers].sort() };
  });
  if (authority.size === 0) return state;

  const listed = new Set(state.services.flatMap((s) => s.tasks.map((t) => t.taskId)));
  const added = gossipOnlyTasks(state, facts, authority, listed);
  const services = state.services.map((s): ServiceEndpoints => {
    const tasks = s.tasks.map((t) => withLiveServing(t, authority, serving));
    const extra = added.get(s.serviceId);
    return extra ? { ...s, tasks: [...tasks, ...extra.values()] } : { ...s, tasks };
  });
  return { ...state, networks, services };
}

/** The task as the DB says, when its node is authoritative on any of its networks. */
function withLiveServing(t: TaskEndpoint, authority: Map<string, Map<string, string>>, serving: Map<string, Set<string>>): TaskEndpoint {
  let decided = false;
  let live = false;
  let addr = t.nodeAddr;
  for (const att of t.networks) {
    const vtep = authority.get(att.networkId)?.get(t.nodeId);
    if (vtep === undefined) continue;
    decided = true;
    addr ||= vtep;
    if (serving.get(att.networkId)?.has(t.taskId)) live = true;
  }
  return decided ? { ...t, serving: live, nodeAddr: addr } : t;
}

/** Rows of authoritative nodes for tasks the state does not list, per service id then task id. */
function gossipOnlyTasks(state: NodeNetworkState, facts: LiveFacts, authority: Map<string, Map<string, string>>, listed: Set<string>): Map<string, Map<string, TaskEndpoint>> {
  const known = new Set(state.services.map((s) => s.serviceId));
  const out = new Map<string, Map<string, TaskEndpoint>>();
  for (const n of state.networks) {
    const id = n.network?.id ?? '';
    const vteps = authority.get(id);
    const prefix = prefixOf(n.network?.status?.ipam[0]?.subnet ?? n.network?.spec?.ipam[0]?.subnet ?? '');
    for (const e of facts.get(id)?.endpoints ?? []) {
      const addr = vteps?.get(e.nodeId);
      if (addr === undefined || listed.has(e.taskId) || !known.has(e.serviceId)) continue;
      let tasks = out.get(e.serviceId);
      if (!tasks) out.set(e.serviceId, (tasks = new Map()));
      const att: NetworkAttachment = { networkId: id, addresses: [`${addressOf(e.ip)}${prefix}`], aliases: [] };
      const t = tasks.get(e.taskId);
      if (t) t.networks.push(att);
      else tasks.set(e.taskId, { taskId: e.taskId, slot: 0, nodeId: e.nodeId, nodeAddr: addr, networks: [att], serving: true });
    }
  }
  return out;
}

/** `10.0.1.0/24` → `/24` (attachments carry the allocator's CIDR form); '' when unknown. */
function prefixOf(subnet: string): string {
  const slash = subnet.indexOf('/');
  return slash < 0 ? '' : subnet.slice(slash);
}
