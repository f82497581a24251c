import {
  isTerminal,
  newId,
  TaskState,
  taskSlotName,
  validateNetworkSpec,
  type CreateNetworkRequest,
  type GetNetworkRequest,
  type ListNetworksResponse,
  type Network,
  type NetworkView,
  type RemoveNetworkRequest,
  type RemoveNetworkResponse,
  type Task,
} from '@flotilla/api';
import { findSubnetClash, publishesIngress, serviceNetworks } from '@flotilla/allocator';
import type { ReadTx } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from '../manager/store-writer.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { alreadyExists, ControlError, invalidArgument } from './control-error.js';
import { findNetwork } from './network-lookup.js';
import { unary } from './unary.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { upToDateManager } from './up-to-date-manager.js';

const nameOf = (n: Network): string => n.spec?.annotations?.name ?? n.id;

/** The network with the services on it (by name or id, or implicitly for ingress) and their VIPs there, and the live tasks with their addresses. */
export function networkView(view: ReadTx, network: Network): NetworkView {
  const services = [];
  for (const s of view.services.all()) {
    const nets = serviceNetworks(s, view);
    if (!nets.ok || !nets.value.some((n) => n.id === network.id)) continue;
    const vip = s.endpoint?.virtualIps.find((v) => v.networkId === network.id)?.addr ?? '';
    services.push({ id: s.id, name: s.spec?.annotations?.name ?? '', virtualIp: vip });
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  const tasks = [];
  for (const t of view.tasks.all()) {
    if (t.status && isTerminal(t.status.state)) continue;
    const address = t.networks.find((a) => a.networkId === network.id)?.addresses[0];
    if (!address) continue;
    tasks.push({ taskId: t.id, name: taskName(t), nodeId: t.nodeId, address });
  }
  tasks.sort((a, b) => a.name.localeCompare(b.name) || a.taskId.localeCompare(b.taskId));
  return { network, services, tasks };
}

/** A task as `network inspect` and its refusals name it: service.slot, or service.node for global tasks. */
function taskName(t: Task): string {
  return taskSlotName(t.serviceName || t.serviceId, t);
}

/** Why the network cannot go now (a service or a live task uses it), or undefined. */
export function removalRefusal(view: ReadTx, network: Network): string | undefined {
  const name = nameOf(network);
  for (const s of view.services.all()) {
    const sname = s.spec?.annotations?.name ?? s.id;
    if (network.spec?.ingress && publishesIngress(s)) return `ingress network cannot be removed because service ${sname} depends on it`;
    if ((s.spec?.task?.networks ?? []).some((a) => a.target === network.id || a.target === name)) return `network ${name} is in use by service ${sname}`;
  }
  for (const t of view.tasks.all()) {
    if (t.status && isTerminal(t.status.state)) continue;
    if (t.networks.some((a) => a.networkId === network.id)) {
      // Usually a removed service's task still inside its stop grace period: say so, so the
      // operator knows that waiting is the fix.
      const stopping = t.desiredState !== TaskState.TASK_STATE_RUNNING && t.desiredState !== TaskState.TASK_STATE_READY ? ', still stopping; try again once it has' : '';
      return `network ${name} is in use by task ${taskName(t)} (${t.id}${stopping})`;
    }
  }
  return undefined;
}

export function networkHandlers(swarm: SwarmController, log: Logger) {
  return {
    createNetwork: unary(log, 'CreateNetwork', async (req: CreateNetworkRequest): Promise<NetworkView> => {
      const rt = await upToDateManager(swarm);
      if (!req.spec) throw invalidArgument('a network spec is required');
      const spec = validateNetworkSpec(req.spec);
      const name = spec.annotations?.name ?? '';
      const id = newId();
      await writeStore(rt.member, (view, tx) => {
        if (view.networks.byName(name)) throw alreadyExists(`network with name ${name} already exists`);
        if (spec.ingress) {
          const ingress = [...view.networks.all()].find((n) => n.spec?.ingress);
          if (ingress) throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `ingress network ${nameOf(ingress)} is already present; remove it first`);
        }
        const subnet = spec.ipam[0]?.subnet;
        const clash = subnet ? findSubnetClash(subnet, view.networks.all()) : undefined;
        if (clash) throw invalidArgument(`subnet ${subnet} overlaps subnet ${clash.subnet} of network ${clash.name}`);
        tx.create('network', { id, spec });
      });
      log.info({ networkId: id, name, subnet: spec.ipam[0]?.subnet ?? '' }, 'network created');
      const view = rt.member.store.view();
      return networkView(view, findNetwork(view, id));
    }),
    listNetworks: unary(log, 'ListNetworks', async (): Promise<ListNetworksResponse> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      return { networks: [...view.networks.all()].map((n) => networkView(view, n)) };
    }),
    getNetwork: unary(log, 'GetNetwork', async (req: GetNetworkRequest): Promise<NetworkView> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      return networkView(view, findNetwork(view, req.network));
    }),
    removeNetwork: unary(log, 'RemoveNetwork', async (req: RemoveNetworkRequest): Promise<RemoveNetworkResponse> => {
      const rt = await upToDateManager(swarm);
      const id = findNetwork(rt.member.store.view(), req.network).id;
      await writeStore(rt.member, (view, tx) => {
        const network = findNetwork(view, id);
        const refusal = removalRefusal(view, network);
        if (refusal) throw new ControlError(GrpcStatus.FAILED_PRECONDITION, refusal);
        tx.delete('network', network);
      });
      log.info({ networkId: id }, 'network removed');
      return { id };
    }),
  };
}
