// The leader-side edge of the allocator: overlay networks get a subnet and a VXLAN id, services
// their published ports and a virtual IP per network, and tasks in NEW that are wanted RUNNING
// get addresses on their networks and move to PENDING, in batched transactions. The tables of what is taken live in memory and are rebuilt from the store on
// every activation (a new leader) and after any failed write (claims that never committed).
import { randomUUID } from 'node:crypto';
import { PublishMode, StoreOp, TaskState, isTerminal, type Network, type NetworkPoolConfig, type Service, type StoreEvent, type Task } from '@flotilla/api';
import { LeaderGatedService } from '@flotilla/bus';
import { TransactionBuilder, VersionConflict, type ReadTx, type StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import { PublishedPorts } from '../ports/published-ports.js';
import { allocateEndpoint, claimStored, sameEndpoint } from './endpoint.js';
import { NetworkAddresses } from './network-addresses.js';
import { DEFAULT_POOL, NetworkSubnets, isAllocated } from './network-subnets.js';
import { allocateVips, implicitNetworks, vipNetworks, vipsCurrent } from './service-vips.js';
import { followStore, type Following } from '@flotilla/raft';
import { WorkLoop } from '@flotilla/bus';

export interface AllocatorServiceOptions {
  store: StoreAccess;
  logger?: Logger;
  nodeId?: string;
  /** How long events are collected before a pass. Default 0: the rest of the event-loop turn (setImmediate). */
  batchWindowMs?: number;
  /** Task writes per transaction. Default 500. */
  maxWritesPerTransaction?: number;
  now?: () => number;
}

interface Work {
  all: boolean;
  networks: Set<string>;
  services: Set<string>;
  tasks: Set<string>;
}

const emptyWork = (): Work => ({ all: false, networks: new Set(), services: new Set(), tasks: new Set() });

const wantsAllocation = (t: Task): boolean =>
  (t.status?.state ?? TaskState.TASK_STATE_NEW) === TaskState.TASK_STATE_NEW && t.desiredState === TaskState.TASK_STATE_RUNNING;

export class AllocatorService extends LeaderGatedService {
  private readonly store: StoreAccess;
  private readonly batchWindowMs: number;
  private readonly maxWrites: number;
  private readonly now: () => number;
  private loop: WorkLoop<Work> | undefined;
  private following: Following | undefined;
  private ports = new PublishedPorts();
  private readonly addresses = new NetworkAddresses();
  private readonly subnets = new NetworkSubnets();
  /** Why a network could not be allocated, so the same refusal is logged once. */
  private readonly networkErrors = new Map<string, string>();
  /** Store index the in-memory tables were rebuilt at; older release events are already counted. */
  private tablesIndex = Number.MAX_SAFE_INTEGER;
  private tablesStale = true;
  /** Services whose ports conflicted: a service that goes away may free what they want. */
  private readonly blockedServices = new Map<string, string>();

  /** The tables will be rebuilt from a view that already counts every event until then. */
  private markTablesStale(): void {
    this.tablesStale = true;
    this.tablesIndex = Number.MAX_SAFE_INTEGER;
  }

  constructor(o: AllocatorServiceOptions) {
    super('allocator', o.logger?.child({ component: 'allocator', nodeId: o.nodeId ?? '' }));
    this.store = o.store;
    this.batchWindowMs = o.batchWindowMs ?? 0;
    this.maxWrites = o.maxWritesPerTransaction ?? 500;
    this.now = o.now ?? Date.now;
  }

  get passes(): number {
    return this.loop?.stats.passes ?? 0;
  }

  /** Who holds a published port right now, as this leader's table says (tests, diagnostics). */
  portOwner(protocol: 'tcp' | 'udp', port: number): string | undefined {
    return this.ports.ownerOf(protocol, port);
  }

  /** Addresses taken on a network (gateway, VIPs, task addresses) in this leader's table (tests, diagnostics). */
  addressesInUse(networkId: string): number {
    return this.addresses.inUse(networkId);
  }

  /** Why a network has no subnet yet, as this leader last found (tests, diagnostics). */
  networkError(networkId: string): string | undefined {
    return this.networkErrors.get(networkId);
  }

  protected async onActivate(): Promise<void> {
    this.markTablesStale();
    this.blockedServices.clear();
    this.networkErrors.clear();
    const loop = new WorkLoop<Work>({
      windowMs: this.batchWindowMs,
      empty: emptyWork,
      merge: (into, from) => {
        into.all ||= from.all;
        for (const id of from.networks) into.networks.add(id);
        for (const id of from.services) into.services.add(id);
        for (const id of from.tasks) into.tasks.add(id);
      },
      run: (work) => this.pass(work),
      log: this.log,
      isExpected: (err) => err instanceof VersionConflict,
    });
    this.loop = loop;
    this.following = followStore(
      this.store,
      { kinds: ['task', 'service', 'network', 'cluster'] },
      { onEvent: (ev) => this.onEvent(ev), onResync: () => loop.add((w) => void (w.all = true)) },
      this.log,
    );
  }

  protected async onDeactivate(): Promise<void> {
    await this.following?.stop();
    await this.loop?.stop();
    this.following = undefined;
    this.loop = undefined;
  }

  private onEvent(ev: StoreEvent): void {
    const kind = ev.object?.kind;
    const loop = this.loop;
    if (!kind || !loop) return;
    const deleted = ev.op === StoreOp.STORE_OP_DELETE;
    switch (kind.$case) {
      case 'task': {
        const t = kind.value;
        const old = ev.old?.kind?.$case === 'task' ? ev.old.kind.value : undefined;
        // Addresses go back when a task ends (or is deleted before ending), exactly once.
        const wasHolding = old !== undefined && !(old.status && isTerminal(old.status.state));
        const nowHolding = !deleted && !(t.status && isTerminal(t.status.state));
        if (wasHolding && !nowHolding && ev.index > this.tablesIndex) this.addresses.release(old);
        if (!deleted && wantsAllocation(t)) loop.add((w) => w.tasks.add(t.id));
        return;
      }
      case 'service':
        if (deleted) {
          if (ev.index > this.tablesIndex) {
            this.ports.releaseOwner(kind.value.id);
            for (const vip of kind.value.endpoint?.virtualIps ?? []) this.addresses.releaseOn(vip.networkId, vip.addr);
          }
          this.log.info({ serviceId: kind.value.id }, 'service removed; its published ports are free');
          const blocked = [...this.blockedServices.keys()];
          if (blocked.length > 0) loop.add((w) => blocked.forEach((id) => w.services.add(id)));
          return;
        }
        loop.add((w) => w.services.add(kind.value.id));
        return;
      case 'network':
        if (deleted) {
          if (ev.index > this.tablesIndex) {
            this.subnets.release(kind.value.id);
            this.addresses.removeNetwork(kind.value.id);
          }
          this.networkErrors.delete(kind.value.id);
          this.log.info({ networkId: kind.value.id }, 'network removed; its subnet and VXLAN id are free');
        }
        if (!deleted && ev.index > this.tablesIndex) {
          try {
            this.subnets.adopt(kind.value);
          } catch (err) {
            this.log.error({ networkId: kind.value.id, err }, 'a network was stored with an allocation that clashes with another');
          }
        }
        // A network that got its subnet (or went away) changes what waiting services and tasks can get.
        loop.add((w) => {
          w.all = true;
          if (!deleted) w.networks.add(kind.value.id);
        });
        return;
      case 'cluster':
        // The default address pool is read when the tables are built; a swarm init's cluster may arrive after activation.
        if (!deleted && !samePool(kind.value.spec?.networkPool, ev.old?.kind?.$case === 'cluster' ? ev.old.kind.value.spec?.networkPool : undefined)) {
          this.markTablesStale();
          loop.add((w) => void (w.all = true));
        }
        return;
      default:
        return;
    }
  }

  private rebuildTables(view: ReadTx): void {
    const pool = firstOf(view.clusters.all())?.spec?.networkPool ?? DEFAULT_POOL;
    for (const problem of this.subnets.rebuild(pool, view.networks.all())) this.log.error({ problem }, 'stored network allocation conflicts; keeping the first');
    this.ports = new PublishedPorts();
    for (const s of view.services.all()) {
      try {
        claimStored(s, this.ports);
      } catch (err) {
        this.log.error({ err, serviceId: s.id }, 'stored published ports conflict; keeping the first owner');
      }
    }
    const live = [...view.tasks.all()].filter((t) => t.networks.length > 0 && !(t.status && isTerminal(t.status.state)));
    for (const problem of this.addresses.rebuild(view.networks.all(), live, view.services.all())) this.log.error({ problem }, 'stored address does not fit its network');
    this.tablesIndex = view.index;
    this.tablesStale = false;
    this.log.info({ index: view.index, services: view.services.count }, 'allocation tables rebuilt from the store');
  }

  private async pass(work: Work): Promise<void> {
    let view = this.store.view();
    if (this.tablesStale) this.rebuildTables(view);
    const networks = new Set(work.networks);
    const services = new Set(work.services);
    const tasks = new Set(work.tasks);
    if (work.all) {
      for (const n of view.networks.all()) if (!isAllocated(n)) networks.add(n.id);
      for (const s of view.services.all()) services.add(s.id);
      for (const t of view.tasks.byDesiredState(TaskState.TASK_STATE_RUNNING)) if (wantsAllocation(t)) tasks.add(t.id);
    }
    try {
      // Networks first and committed: services and tasks take their addresses from these subnets.
      if (await this.allocateNetworks(view, networks)) view = this.store.view();
      await this.allocate(view, services, tasks);
    } catch (err) {
      // Claims made for writes that did not commit must not linger.
      this.markTablesStale();
      throw err;
    }
  }

  /** Subnet, gateway and VXLAN id for networks that have none; true when something was written. */
  private async allocateNetworks(view: ReadTx, ids: Set<string>): Promise<boolean> {
    const writes: Network[] = [];
    // Networks that ask for a subnet go first, so a pool pick in the same pass never takes it from them.
    const asksSubnet = (n: Network): number => (n.spec?.ipam?.[0]?.subnet ? 1 : 0);
    const waiting = [...ids].flatMap((id) => view.networks.get(id) ?? []).filter((n) => !isAllocated(n));
    for (const n of waiting.sort((x, y) => asksSubnet(y) - asksSubnet(x))) {
      const id = n.id;
      const r = this.subnets.allocate(n);
      if (!r.ok) {
        if (this.networkErrors.get(id) !== r.error) this.log.error({ networkId: id, err: r.error }, 'cannot allocate the network');
        this.networkErrors.set(id, r.error);
        continue;
      }
      this.networkErrors.delete(id);
      const next: Network = { ...n, status: r.status };
      this.addresses.addNetwork(next);
      writes.push(next);
    }
    if (writes.length === 0) return false;
    const b = new TransactionBuilder(`allocator-${randomUUID()}`, this.now());
    for (const n of writes) b.update('network', n);
    const index = await this.store.propose(b.build());
    for (const n of writes) {
      const ipam = n.status!.ipam[0]!;
      this.log.info({ index, networkId: n.id, name: n.spec?.annotations?.name, subnet: ipam.subnet, gateway: ipam.gateway, vxlanId: n.status!.vxlanId }, 'network allocated');
    }
    return true;
  }

  private async allocate(view: ReadTx, serviceIds: Set<string>, taskIds: Set<string>): Promise<void> {
    const now = this.now();
    const serviceWrites: Service[] = [];
    const current = new Map<string, Service>();
    const failed = new Map<string, string>();

    for (const sid of serviceIds) {
      const s = view.services.get(sid);
      if (!s) {
        this.blockedServices.delete(sid);
        continue;
      }
      const r = allocateEndpoint(s, this.ports);
      if (!r.ok) {
        this.blockedServices.set(sid, r.error);
        failed.set(sid, r.error);
        this.log.error({ serviceId: sid, err: r.error }, 'cannot allocate the service endpoint');
        continue;
      }
      this.blockedServices.delete(sid);
      const nets = vipNetworks(s, view);
      const vips = nets.ok ? allocateVips(s, nets.value, this.addresses) : nets;
      if (!vips.ok) {
        // Ports claimed for an endpoint that will not be written go back to what the store says.
        this.ports.releaseOwner(sid);
        claimStored(s, this.ports);
        failed.set(sid, vips.reason);
        this.blockedServices.set(sid, vips.reason);
        this.log.warn({ serviceId: sid, err: vips.reason }, 'service waits for its virtual IPs');
        continue;
      }
      for (const v of vips.released) this.addresses.releaseOn(v.networkId, v.addr);
      const endpoint =
        r.endpoint || vips.vips.length > 0
          ? { spec: r.endpoint?.spec ?? s.spec?.endpoint, ports: r.endpoint?.ports ?? [], virtualIps: vips.vips }
          : undefined;
      if (!sameEndpoint(s.endpoint, endpoint)) {
        const next: Service = { ...s, endpoint };
        serviceWrites.push(next);
        current.set(sid, next);
      }
      // Tasks that waited on this service may go now.
      for (const t of view.tasks.byService(sid)) if (wantsAllocation(t)) taskIds.add(t.id);
    }

    const taskWrites: Array<{ task: Task; log: () => void }> = [];
    const noted = (t: Task, err: string): void => {
      if (t.status?.err === err) return;
      taskWrites.push({
        task: { ...t, status: { ...t.status!, err, timestamp: now } },
        log: () => this.log.warn({ taskId: t.id, serviceId: t.serviceId, err }, 'task waits for allocation'),
      });
    };
    for (const id of taskIds) {
      const t = view.tasks.get(id);
      if (!t || !wantsAllocation(t)) continue;
      const service = current.get(t.serviceId) ?? view.services.get(t.serviceId);
      if (!service) continue; // the orchestrator retires tasks of deleted services
      const endpointError = failed.get(t.serviceId) ?? this.blockedServices.get(t.serviceId) ?? endpointPending(service, view);
      if (endpointError) {
        noted(t, endpointError);
        continue;
      }
      const implicit = implicitNetworks(service, view);
      if (!implicit.ok) {
        noted(t, implicit.reason);
        continue;
      }
      const nets = this.addresses.attach(t, view, implicit.value);
      if (!nets.ok) {
        noted(t, nets.reason);
        continue;
      }
      taskWrites.push({
        task: {
          ...t,
          endpoint: service.endpoint,
          networks: nets.attachments,
          status: { ...t.status!, state: TaskState.TASK_STATE_PENDING, message: 'allocated', err: '', timestamp: now },
        },
        log: () => this.log.info({ taskId: t.id, serviceId: t.serviceId, networks: nets.attachments.length }, 'task allocated; pending'),
      });
    }

    // Service endpoints first: a task must never carry ports its service does not hold in the store.
    if (serviceWrites.length > 0) {
      const b = new TransactionBuilder(`allocator-${randomUUID()}`, now);
      for (const s of serviceWrites) b.update('service', s);
      const index = await this.store.propose(b.build());
      for (const s of serviceWrites) {
        this.log.info(
          {
            index,
            serviceId: s.id,
            ports: s.endpoint?.ports.map((p) => `${p.publishedPort}:${p.targetPort}/${p.protocol}`),
            vips: s.endpoint?.virtualIps.map((v) => `${v.networkId}:${v.addr}`),
          },
          'service endpoint allocated',
        );
      }
    }
    for (let i = 0; i < taskWrites.length; i += this.maxWrites) {
      const chunk = taskWrites.slice(i, i + this.maxWrites);
      const b = new TransactionBuilder(`allocator-${randomUUID()}`, now);
      for (const w of chunk) b.update('task', w.task);
      await this.store.propose(b.build());
      for (const w of chunk) w.log();
    }
  }
}

/** Why the service's stored endpoint is not what its tasks need yet (published ports, VIPs), or undefined. */
function endpointPending(s: Service, view: ReadTx): string | undefined {
  const wanted = s.spec?.endpoint?.ports ?? [];
  const held = s.endpoint?.ports ?? [];
  if (wanted.length > 0 && (held.length !== wanted.length || held.some((p) => p.publishMode !== PublishMode.PUBLISH_MODE_HOST && p.publishedPort === 0))) {
    return `service ${s.id} has unallocated published ports`;
  }
  const nets = vipNetworks(s, view);
  if (!nets.ok) return nets.reason;
  return vipsCurrent(s, nets.value) ? undefined : `service ${s.id} has no virtual IP on each of its networks yet`;
}

function samePool(a: NetworkPoolConfig | undefined, b: NetworkPoolConfig | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function firstOf<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item;
  return undefined;
}
