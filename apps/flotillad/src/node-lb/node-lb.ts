import { createHash } from 'node:crypto';
import type { Agent } from '@flotilla/agent';
import { createLoadBalancer, hostResolver, IptablesBackend, IptablesMesh, KernelMeshWithLoopback, NodeLbController, UserspaceMesh } from '@flotilla/ipvs-lb';
import type { RefusalCount } from '@flotilla/api';
import type { Logger } from 'pino';
import { loadBalancerChoice } from './backend-choice.js';

/** Service VIPs, embedded DNS and the routing mesh of this node, fed by the agent's NodeNetworkState. */
export interface NodeLb {
  readonly backend: string;
  /** What the embedded DNS servers refused since start, by cause (all networks together). */
  dnsRefused(): RefusalCount[];
  /** Stops the DNS servers and removes every rule and address it installed. */
  stop(): Promise<void>;
}

export interface NodeLbOptions {
  nodeId: string;
  advertiseHost: string;
  /** The agent's data dir: names this daemon's iptables chains. */
  dataDir: string;
  log: Logger;
}

/**
 * Starts the node's load balancer when the agent plumbs overlay networks (a node with a
 * namespace of its own); a node advertising a loopback address shares its namespace with
 * other daemons and gets none (undefined), like its overlays. Never throws: a node whose
 * load balancer cannot start still runs its tasks, and the log says why.
 */
export async function startNodeLb(agent: Agent, opts: NodeLbOptions): Promise<NodeLb | undefined> {
  const log = opts.log.child({ component: 'ipvs-lb', nodeId: opts.nodeId });
  try {
    return await start(agent, opts, log);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'starting the node load balancer failed: service VIPs, DNS and the routing mesh are off');
    return undefined;
  }
}

async function start(agent: Agent, opts: NodeLbOptions, log: Logger): Promise<NodeLb | undefined> {
  const networking = agent.networking;
  if (!networking) {
    log.info('no overlay networking on this node: service VIPs, DNS and the routing mesh are off');
    return undefined;
  }
  const choice = await loadBalancerChoice();
  const prefixes = chainPrefixes(opts.dataDir);
  const controller = new NodeLbController({
    local: { nodeId: opts.nodeId, addr: opts.advertiseHost },
    lb: createLoadBalancer(choice, { logger: log, chainPrefix: prefixes.vip }),
    // The kernel path when iptables works (whatever balances the VIPs; localhost through a
    // listener, which iptables cannot serve), else listeners in this process on every address.
    mesh: choice.meshWithIptables
      ? new KernelMeshWithLoopback(new IptablesMesh({ chainPrefix: prefixes.mesh, logger: log }), { logger: log })
      : new UserspaceMesh({ logger: log }),
    ...(await hostResolver().then((upstream) => (upstream ? { upstream } : {}))),
    logger: log,
  });
  if (!choice.meshWithIptables) log.warn('iptables NAT is not usable here: the routing mesh proxies published TCP ports in userspace (UDP ones are not answered)');
  const unsubscribe = networking.onState((state) => {
    controller.apply(state).catch((err: Error) => log.error({ err: err.message, sequence: state.sequence }, 'applying the network state to the load balancer'));
  });
  log.info({ backend: choice.kind, reason: choice.reason }, 'node load balancer started');
  return {
    backend: choice.kind,
    dnsRefused: () => controller.dnsRefused(),
    stop: async () => {
      unsubscribe();
      await controller.close();
      log.info('node load balancer stopped');
    },
  };
}

/**
 * Our iptables chains carry a tag of the agent data dir: stable across restarts (a restarted
 * daemon cleans its predecessor's rules) and distinct between daemons.
 */
function chainPrefixes(dataDir: string): { vip: string; mesh: string } {
  const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 4);
  return { vip: `FLT-V${tag}-`, mesh: `FLT-M${tag}-` };
}

/**
 * Removes the iptables chains a load balancer of this data dir installed and never removed:
 * a daemon killed while its node was in a swarm, then leaving before any runtime (and so any
 * load balancer to close) started again. A running load balancer removes its own when it stops.
 */
export async function removeNodeLbLeftovers(dataDir: string, log: Logger): Promise<void> {
  const choice = await loadBalancerChoice();
  if (!choice.meshWithIptables) return;
  const prefixes = chainPrefixes(dataDir);
  await new IptablesBackend({ chainPrefix: prefixes.vip }).close();
  await new IptablesMesh({ chainPrefix: prefixes.mesh }).close();
  log.info({ component: 'ipvs-lb', chains: [prefixes.vip, prefixes.mesh] }, 'no load-balancer iptables chain of this daemon left');
}
