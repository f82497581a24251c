import type { NodeNetworkState } from '@flotilla/api';
import type { Logger } from 'pino';
import { EmbeddedDnsServer, embeddedDnsRefusalLog } from '../dns/server.js';
import { silentLogger, type RefusalCount, type RefusalLog } from '@flotilla/bus';
import type { UpstreamResolver } from '../dns/forward.js';
import type { DnsTable } from '../dns/table.js';
import { localRunner, type CommandRunner } from '../exec/runner.js';
import { vipKey, type BackendAddr, type LoadBalancer, type Vip } from '../lb/types.js';
import type { RoutingMesh } from '../mesh/userspace-mesh.js';
import { clientTables } from '../node-plan/client-tables.js';
import { planNode } from '../node-plan/plan-node.js';
import type { LocalNode, NodeLbPlan, PlannedVip } from '../node-plan/types.js';
import { overlayBridge, syncVipAddresses } from './vip-addresses.js';

export interface NodeLbControllerOptions {
  local: LocalNode;
  lb: LoadBalancer;
  /** The routing mesh (IptablesMesh or UserspaceMesh); without one published ports are not answered. */
  mesh?: RoutingMesh;
  /** Runs `ip` for the VIP addresses; default: this host. */
  run?: CommandRunner;
  /** Where names that are not ours go. */
  upstream?: UpstreamResolver;
  /** 53 in production; tests may pick another. */
  dnsPort?: number;
  /**
   * Turn on forwarding and iptables on bridged traffic (default true): a reply from a task to
   * a container on the same bridge is bridged, not routed, and must still meet conntrack to
   * have the VIP put back as its source. Docker turns both on too.
   */
  setSysctls?: boolean;
  /** How soon to try again what could not be done yet (a bridge or gateway not there yet). */
  retryMs?: number;
  logger?: Logger;
}

interface DnsListener {
  gateway: string;
  server?: EmbeddedDnsServer;
  table: DnsTable;
}

/**
 * Applies successive NodeNetworkStates on this node: service VIPs balanced over serving tasks
 * (a task that stops serving is dropped with the next state), VIP addresses on the overlay
 * bridges, one embedded DNS per overlay network on its gateway address, and the routing
 * mesh. States are applied one at a time; when several arrive during an apply only the
 * newest is applied next. The planning is pure (planNode); this class only performs it.
 */
export class NodeLbController {
  private readonly run: CommandRunner;
  private readonly log: Logger | undefined;
  private readonly installed = new Map<string, BackendAddr[]>();
  private readonly installedVips = new Map<string, Vip>();
  private readonly dns = new Map<string, DnsListener>();
  private readonly boundPorts = new Map<string, number>();
  /** Shared by every network's DNS server: counts survive a server's close (a network leaving the node). */
  private readonly dnsRefusals: RefusalLog;
  private lastPlan: NodeLbPlan | undefined;
  private pendingState: NodeNetworkState | undefined;
  private applying: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private sysctlsSet = false;

  constructor(private readonly opts: NodeLbControllerOptions) {
    this.run = opts.run ?? localRunner;
    this.log = opts.logger?.child({ component: 'ipvs-lb', nodeId: opts.local.nodeId });
    this.dnsRefusals = embeddedDnsRefusalLog((this.log ?? silentLogger()).child({ part: 'dns' }));
  }

  get backend(): LoadBalancer['kind'] {
    return this.opts.lb.kind;
  }

  /** The DNS port actually bound on each network's gateway (for tests that pick port 0). */
  dnsPortOf(networkId: string): number | undefined {
    return this.dns.get(networkId)?.server ? this.boundPorts.get(networkId) : undefined;
  }

  /** Takes a new state; resolves once it (or a newer one) has been applied. */
  apply(state: NodeNetworkState): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.pendingState = state;
    return this.drain();
  }

  private drain(): Promise<void> {
    this.applying ??= (async () => {
      try {
        while (this.pendingState && !this.closed) {
          const state = this.pendingState;
          this.pendingState = undefined;
          await this.applyPlan(planNode(state, this.opts.local));
        }
      } finally {
        this.applying = undefined;
      }
    })();
    return this.applying;
  }

  private async applyPlan(plan: NodeLbPlan): Promise<void> {
    this.lastPlan = plan;
    if (!this.sysctlsSet && this.opts.setSysctls !== false) {
      try {
        await this.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
        this.sysctlsSet = true;
      } catch (err) {
        this.log?.warn({ err: (err as Error).message }, 'cannot turn on forwarding / bridge netfilter: VIPs may not answer containers on the same bridge');
        this.sysctlsSet = true;
      }
    }
    for (const why of plan.skipped) this.log?.debug({ why }, 'left out of the load balancer');
    let incomplete = false;
    for (const net of plan.networks) {
      if (net.ingress) continue;
      try {
        if (!(await syncVipAddresses(this.run, overlayBridge(net.vni), net.vips))) incomplete = true;
      } catch (err) {
        incomplete = true;
        this.log?.error({ networkId: net.networkId, err: (err as Error).message }, 'putting service VIPs on the overlay bridge');
      }
    }
    await this.applyVips(plan.vips);
    incomplete = (await this.applyDns(plan)) || incomplete;
    if (this.opts.mesh) {
      try {
        await this.opts.mesh.apply({ ports: plan.mesh, peers: plan.meshPeers });
      } catch (err) {
        this.log?.error({ err: (err as Error).message }, 'programming the routing mesh');
      }
    }
    this.scheduleRetry(incomplete);
  }

  private expand(v: PlannedVip): { vip: Vip; backends: BackendAddr[] }[] {
    if (this.opts.lb.kind === 'iptables') return [{ vip: v.vip, backends: v.backends }];
    // A back end that needs a port per VIP balances the ports the service declares.
    return v.declaredPorts.map((port) => ({ vip: { ...v.vip, port }, backends: v.backends.map((b) => ({ addr: b.addr, port })) }));
  }

  private async applyVips(planned: readonly PlannedVip[]): Promise<void> {
    const wanted = new Map<string, { vip: Vip; backends: BackendAddr[]; of: PlannedVip }>();
    for (const p of planned) for (const e of this.expand(p)) wanted.set(vipKey(e.vip), { ...e, of: p });
    for (const [key, vip] of this.installedVips) {
      if (wanted.has(key)) continue;
      try {
        await this.opts.lb.removeService(vip);
        this.installedVips.delete(key);
        this.installed.delete(key);
      } catch (err) {
        this.log?.error({ vip: key, err: (err as Error).message }, 'removing a service VIP');
      }
    }
    for (const [key, w] of wanted) {
      const before = this.installed.get(key);
      if (before && sameBackends(before, w.backends)) continue;
      try {
        await this.opts.lb.ensureService(w.vip, w.backends);
        this.installed.set(key, w.backends);
        this.installedVips.set(key, w.vip);
        this.log?.info({ serviceId: w.of.serviceId, service: w.of.serviceName, networkId: w.of.networkId, vip: key, backends: w.backends.map((b) => b.addr) }, 'service VIP backends set');
      } catch (err) {
        this.log?.error({ serviceId: w.of.serviceId, vip: key, err: (err as Error).message }, 'setting a service VIP');
      }
    }
  }

  /** Resolves true when some network's DNS could not listen yet (its gateway is not on the bridge yet). */
  private async applyDns(plan: NodeLbPlan): Promise<boolean> {
    let incomplete = false;
    const wanted = new Map(plan.networks.filter((n) => !n.ingress).map((n) => [n.networkId, n]));
    for (const [id, l] of this.dns) {
      const w = wanted.get(id);
      if (w && w.gateway === l.gateway) continue;
      this.dns.delete(id);
      this.boundPorts.delete(id);
      await l.server?.close();
    }
    for (const [id, net] of wanted) {
      let l = this.dns.get(id);
      if (!l) {
        l = { gateway: net.gateway, table: net.dns };
        this.dns.set(id, l);
      }
      l.table = net.dns;
      if (!l.server) {
        const server = new EmbeddedDnsServer({
          host: net.gateway,
          port: this.opts.dnsPort ?? 53,
          // Only the network's own containers are answered (not other networks', not other hosts).
          clients: net.subnet,
          refusals: this.dnsRefusals,
          ...(this.opts.upstream ? { upstream: this.opts.upstream } : {}),
          ...(this.log ? { logger: this.log } : {}),
        });
        try {
          this.boundPorts.set(id, await server.start());
          l.server = server;
          this.log?.info({ networkId: id, addr: net.gateway }, 'embedded DNS listening on the network gateway');
        } catch (err) {
          incomplete = true;
          this.log?.debug({ networkId: id, addr: net.gateway, err: (err as Error).message }, 'embedded DNS cannot listen yet');
          continue;
        }
      }
      try {
        l.server.setTables(net.dns, clientTables(plan, id));
      } catch (err) {
        this.log?.error({ networkId: id, err: (err as Error).message }, 'DNS table refused; the previous one stays');
      }
    }
    return incomplete;
  }

  private scheduleRetry(incomplete: boolean): void {
    if (!incomplete || this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const plan = this.lastPlan;
      if (!plan || this.closed || this.pendingState) return;
      this.applying ??= this.applyPlan(plan)
        .catch((err: Error) => this.log?.error({ err: err.message }, 'retrying the load balancer state'))
        .finally(() => {
          this.applying = undefined;
          if (this.pendingState) void this.drain();
        });
    }, this.opts.retryMs ?? 1000);
    this.retryTimer.unref();
  }

  /** What this node's embedded DNS servers refused since the controller started, by cause (all networks together). */
  dnsRefused(): RefusalCount[] {
    return this.dnsRefusals.counts();
  }

  /** Stops the DNS servers and removes every rule and VIP address this controller installed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.applying?.catch(() => undefined);
    for (const l of this.dns.values()) await l.server?.close();
    this.dns.clear();
    this.dnsRefusals.stop();
    for (const net of this.lastPlan?.networks ?? []) {
      if (!net.ingress) await syncVipAddresses(this.run, overlayBridge(net.vni), []).catch(() => false);
    }
    await this.opts.lb.close();
    await this.opts.mesh?.close();
  }
}

function sameBackends(a: readonly BackendAddr[], b: readonly BackendAddr[]): boolean {
  return a.length === b.length && a.every((x, i) => x.addr === b[i]!.addr && x.port === b[i]!.port);
}
