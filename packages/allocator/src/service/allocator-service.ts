// The leader-side edge of the allocator: tasks in NEW that are wanted RUNNING get what they need
// (their service's published ports, addresses on their networks) and move to PENDING, in batched
// transactions. The tables of what is taken live in memory and are rebuilt from the store on
// every activation (a new leader) and after any failed write (claims that never committed).
import { randomUUID } from 'node:crypto';
import { PublishMode, StoreOp, TaskState, isTerminal, type Service, type StoreEvent, type Task } from '@flotilla/api';
import { LeaderGatedService } from '@flotilla/bus';
import { TransactionBuilder, VersionConflict, type ReadTx, type StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import { PublishedPorts } from '../ports/published-ports.js';
import { allocateEndpoint, claimStored, sameEndpoint } from './endpoint.js';
import { NetworkAddresses } from './network-addresses.js';
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
  services: Set<string>;
  tasks: Set<string>;
}

const emptyWork = (): Work => ({ all: false, services: new Set(), tasks: new Set() });

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

  protected async onActivate(): Promise<void> {
    this.markTablesStale();
    this.blockedServices.clear();
    const loop = new WorkLoop<Work>({
      windowMs: this.batchWindowMs,
      empty: emptyWork,
      merge: (into, from) => {
        into.all ||= from.all;
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
      { kinds: ['task', 'service', 'network'] },
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
          if (ev.index > this.tablesIndex) this.ports.releaseOwner(kind.value.id);
          this.log.info({ serviceId: kind.value.id }, 'service removed; its published ports are free');
          const blocked = [...this.blockedServices.keys()];
          if (blocked.length > 0) loop.add((w) => blocked.forEach((id) => w.services.add(id)));
          return;
        }
        loop.add((w) => w.services.add(kind.value.id));
        return;
      case 'network':
        // A network that got its subnet (or went away) changes what waiting tasks can get.
        loop.add((w) => void (w.all = true));
        return;
      default:
        return;
    }
  }

  private rebuildTables(view: ReadTx): void {
    this.ports = new PublishedPorts();
    for (const s of view.services.all()) {
      try {
        claimStored(s, this.ports);
      } catch (err) {
        this.log.error({ err, serviceId: s.id }, 'stored published ports conflict; keeping the first owner');
      }
    }
    const live = [...view.tasks.all()].filter((t) => t.networks.length > 0 && !(t.status && isTerminal(t.status.state)));
    for (const problem of this.addresses.rebuild(view.networks.all(), live)) this.log.error({ problem }, 'stored address does not fit its network');
    this.tablesIndex = view.index;
    this.tablesStale = false;
    this.log.info({ index: view.index, services: view.services.count }, 'allocation tables rebuilt from the store');
  }

  private async pass(work: Work): Promise<void> {
    const view = this.store.view();
    if (this.tablesStale) this.rebuildTables(view);
    const services = new Set(work.services);
    const tasks = new Set(work.tasks);
    if (work.all) {
      for (const s of view.services.all()) services.add(s.id);
      for (const t of view.tasks.byDesiredState(TaskState.TASK_STATE_RUNNING)) if (wantsAllocation(t)) tasks.add(t.id);
    }
    try {
      await this.allocate(view, services, tasks);
    } catch (err) {
      // Claims made for writes that did not commit must not linger.
      this.markTablesStale();
      throw err;
    }
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
      if (!sameEndpoint(s.endpoint, r.endpoint)) {
        const next: Service = { ...s, endpoint: r.endpoint };
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
      const endpointError =
        failed.get(t.serviceId) ?? this.blockedServices.get(t.serviceId) ?? (endpointPending(service) ? `service ${service.id} has unallocated published ports` : undefined);
      if (endpointError) {
        noted(t, endpointError);
        continue;
      }
      const nets = this.addresses.attach(t, view);
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
      for (const s of serviceWrites) this.log.info({ index, serviceId: s.id, ports: s.endpoint?.ports.map((p) => `${p.publishedPort}:${p.targetPort}/${p.protocol}`) }, 'service endpoint allocated');
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

/** The service asks for published ports its stored endpoint does not hold yet. */
function endpointPending(s: Service): boolean {
  const wanted = s.spec?.endpoint?.ports ?? [];
  if (wanted.length === 0) return false;
  const held = s.endpoint?.ports ?? [];
  return held.length !== wanted.length || held.some((p) => p.publishMode !== PublishMode.PUBLISH_MODE_HOST && p.publishedPort === 0);
}
