import { chooseBackend, probeHost, type BackendChoice, type BackendKind, type HostCapabilities } from '@flotilla/ipvs-lb';

/** Environment variable that forces a load-balancer back end (ipvs, iptables or userspace). */
export const LB_BACKEND_ENV = 'FLOTILLA_LB_BACKEND';

export interface LoadBalancerChoice extends BackendChoice {
  /** The routing mesh is programmed with iptables whatever balances the VIPs (else it is proxied in userspace). */
  meshWithIptables: boolean;
}

let chosen: Promise<LoadBalancerChoice> | undefined;

/**
 * The back end this daemon balances service VIPs with, picked once per process at daemon
 * start (what `flotilla info` reports) and reused by every later swarm runtime.
 */
export function loadBalancerChoice(env: NodeJS.ProcessEnv = process.env): Promise<LoadBalancerChoice> {
  chosen ??= probeHost().then((caps) => decide(caps, env[LB_BACKEND_ENV]));
  return chosen;
}

/** Pure: the choice for these capabilities and an optional forced kind (refused when unknown or unavailable). */
export function decide(caps: HostCapabilities, forced: string | undefined): LoadBalancerChoice {
  if (forced !== undefined && forced !== '' && !['ipvs', 'iptables', 'userspace'].includes(forced)) {
    throw new Error(`${LB_BACKEND_ENV}="${forced}": not a load-balancer back end (ipvs, iptables or userspace)`);
  }
  const choice = chooseBackend(caps, forced ? (forced as BackendKind) : undefined);
  return { ...choice, meshWithIptables: caps.iptablesNat && caps.iptablesStatistic };
}
