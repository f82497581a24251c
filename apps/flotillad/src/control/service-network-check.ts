import type { ServiceSpec } from '@flotilla/api';
import { ingressNetwork, publishesIngress } from '@flotilla/allocator';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from './control-error.js';

/**
 * Refuses a service spec naming a network that does not exist or the ingress network (which a
 * service joins only by publishing a port through the routing mesh), as swarmkit does, so a typo
 * is an error at create/update rather than tasks waiting for ever.
 */
export function checkServiceNetworks(view: ReadTx, spec: ServiceSpec): void {
  for (const a of spec.task?.networks ?? []) {
    const network = view.networks.get(a.target) ?? view.networks.byName(a.target);
    if (!network) throw notFound(`network ${a.target} not found`);
    if (network.spec?.ingress) throw invalidArgument(`service cannot be explicitly attached to the ingress network "${a.target}"`);
  }
  // Without an ingress network (a swarm made before Flotilla had one, or an operator removed it)
  // the tasks would wait for ever in NEW: refuse now and say how to fix it.
  if (publishesIngress({ spec }) && !ingressNetwork(view)) {
    throw invalidArgument(
      `service ${spec.annotations?.name ?? ''} publishes ports through the routing mesh but this swarm has no ingress network: ` +
        `create one with 'flotilla network create -d overlay --ingress ingress' (or publish with mode=host)`,
    );
  }
}
