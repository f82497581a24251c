// Pure: which nodes' network states a batch of store events may have changed, so that only
// those are assembled, encoded and compared again.
import type { StoreEvent } from '@flotilla/api';
import { publishesIngress, taskNetworkIds, type NetworkIndex } from './network-index.js';

/** What a batch of events touched, before it is resolved against the new index. */
export class NetworkChanges {
  /** Every node must be looked at again (a node's address, the ingress network, lost events). */
  all = false;
  readonly nodes = new Set<string>();
  readonly networks = new Set<string>();
  readonly services = new Set<string>();

  get empty(): boolean {
    return !this.all && this.nodes.size === 0 && this.networks.size === 0 && this.services.size === 0;
  }

  add(event: StoreEvent): void {
    for (const obj of [event.object?.kind, event.old?.kind]) {
      if (!obj) continue;
      switch (obj.$case) {
        case 'task':
          // A task on no network (and so not of an ingress-published service, whose tasks the
          // allocator attaches to ingress) is in no node's state: most task events are these.
          if (obj.value.networks.length === 0) break;
          if (obj.value.nodeId) this.nodes.add(obj.value.nodeId);
          for (const id of taskNetworkIds(obj.value)) this.networks.add(id);
          if (obj.value.serviceId) this.services.add(obj.value.serviceId);
          break;
        case 'service':
          this.services.add(obj.value.id);
          // Once deleted the new index no longer knows it was published on ingress.
          if (publishesIngress(obj.value)) this.all = true;
          for (const vip of obj.value.endpoint?.virtualIps ?? []) this.networks.add(vip.networkId);
          break;
        case 'network':
          this.networks.add(obj.value.id);
          if (obj.value.spec?.ingress) this.all = true;
          break;
        case 'node':
          // Its address or readiness is in other nodes' peer lists.
          this.all = true;
          break;
        default:
          break;
      }
    }
  }

  /**
   * Nodes (among `candidates`) whose state may differ: the nodes named, those that had or now
   * have a touched network (by `previousNetworks`, what was last sent to them, and the index).
   */
  affected(index: NetworkIndex, candidates: Iterable<string>, previousNetworks: (nodeId: string) => readonly string[]): string[] {
    const nets = new Set(this.networks);
    let all = this.all;
    for (const serviceId of this.services) {
      if (index.isIngressService(serviceId)) all = true;
      const service = index.service(serviceId);
      if (service) for (const id of index.networkIdsOfService(service)) nets.add(id);
    }
    for (const id of nets) if (index.isIngressNetwork(id)) all = true;
    const out: string[] = [];
    for (const nodeId of candidates) {
      if (all || this.nodes.has(nodeId)) {
        out.push(nodeId);
        continue;
      }
      const had = previousNetworks(nodeId).some((id) => nets.has(id));
      if (had || index.networkIdsOfNode(nodeId).some((id) => nets.has(id))) out.push(nodeId);
    }
    return out;
  }
}
