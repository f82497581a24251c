// Edge: the overlay networks this node's task containers are on. Before a task's container is
// created its networks are plumbed (bridge, VXLAN device, entries, Docker network) from the
// dispatcher's latest NodeNetworkState; every new state brings the entries of the networks in
// use up to date; a network nobody here uses any more is removed; after a restart the
// overlays no task needs are pruned once the first state is known.
import type { NodeNetworkState, Task } from '@flotilla/api';
import type Docker from 'dockerode';
import type { Logger } from '@flotilla/bus';
import { endpointsConfigFor } from '../network/docker-overlay-network.js';
import { dockerNetworkName } from '../network/overlay-names.js';
import type { OverlayDesired, OverlayNetworkRef } from '../network/overlay-types.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { overlaysOf, taskAttachments } from './overlay-desired.js';

/** The part of OverlayNetworks this needs (the real one in the agent; tests may observe it). */
export interface OverlayPlumbing {
  ensure(desired: OverlayDesired): Promise<unknown>;
  remove(network: Pick<OverlayNetworkRef, 'id' | 'vni'>): Promise<unknown>;
  prune(keep: readonly Pick<OverlayNetworkRef, 'id' | 'vni'>[]): Promise<unknown>;
  connect(containerId: string, network: OverlayNetworkRef, ip: string): Promise<void>;
}

/** What a task's container gets: create options, and the networks joined after create. */
export interface ContainerNetworking {
  create: Pick<Docker.ContainerCreateOptions, 'HostConfig' | 'NetworkingConfig'>;
  more: { network: OverlayNetworkRef; ip: string }[];
}

export interface TaskNetworksOptions {
  overlays: OverlayPlumbing;
  log: Logger;
  /** How long a task waits for a state that names its network before it is rejected. */
  waitMs?: number;
  /** Ask the dispatcher for the state again (while a task waits for a network). */
  askForState?: () => void;
}

export const DEFAULT_NETWORK_WAIT_MS = 30_000;

/** Networks whose container exists or is being created: these must stay plumbed. */
export function networksInUse(records: Iterable<Readonly<TaskRecord>>): Set<string> {
  const ids = new Set<string>();
  for (const r of records) {
    if (r.containerId === '' && r.pending !== 'create') continue;
    for (const a of taskAttachments(r.task)) ids.add(a.networkId);
  }
  return ids;
}

export class TaskNetworks {
  private desired = new Map<string, OverlayDesired>();
  /** The routing mesh's network: never a task's primary network or its DNS. */
  private ingress = new Set<string>();
  /** Networks plumbed here, with what they were plumbed as (kept for their removal). */
  private readonly plumbed = new Map<string, OverlayNetworkRef>();
  /** What each network was last ensured as: a new state that leaves it alone runs nothing. */
  private readonly ensuredAs = new Map<string, string>();
  private inUse = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private pruned = false;
  private pruning = false;
  private stateKnown = false;
  private closed = false;

  constructor(private readonly opts: TaskNetworksOptions) {}

  /** A new state from the dispatcher. */
  setState(state: NodeNetworkState): void {
    if (this.closed) return;
    this.desired = overlaysOf(state);
    this.ingress = new Set(state.networks.filter((n) => n.network?.spec?.ingress).map((n) => n.network!.id));
    for (const wake of [...this.waiters]) wake();
    // Entries follow the cluster for every network in use (after a restart, before any task asks).
    for (const id of new Set([...this.plumbed.keys(), ...this.inUse])) {
      const d = this.desired.get(id);
      // Most new states only flip a task's serving flag: nothing for the data path to do.
      if (d && this.ensuredAs.get(id) !== JSON.stringify(d)) void this.ensure(d).catch((err: unknown) => this.opts.log.error({ err, networkId: id }, 'updating the overlay network failed; retried with the next state'));
    }
    this.stateKnown = true;
    this.pruneOnce();
  }

  /**
   * After a (re)start, once the first state is known: overlays on the node that no container
   * here uses (left by an earlier agent) go. Retried at the next change until it succeeds,
   * since a leftover container being removed at the same time makes the engine refuse.
   */
  private pruneOnce(): void {
    if (this.pruned || this.pruning || !this.stateKnown || this.closed) return;
    this.pruning = true;
    const keep = [...this.inUse].map((id) => this.desired.get(id)?.network ?? this.plumbed.get(id)).filter((r): r is OverlayNetworkRef => r !== undefined);
    this.opts.overlays.prune(keep).then(
      (gone) => {
        this.pruned = true;
        this.opts.log.info({ keep: keep.map((k) => k.id), gone }, 'overlays no task here needs pruned');
      },
      (err: unknown) => this.opts.log.warn({ err }, 'pruning overlays failed; trying again at the next change'),
    ).finally(() => {
      this.pruning = false;
    });
  }

  /** Plumbs the task's networks; undefined when the task has none. */
  async prepare(task: Task): Promise<ContainerNetworking | undefined> {
    const found = taskAttachments(task);
    if (found.length === 0) return undefined;
    const refs: OverlayNetworkRef[] = [];
    for (const a of found) {
      const d = await this.waitForNetwork(a.networkId, task.id);
      await this.ensure(d);
      refs.push(d.network);
    }
    // The task's own networks first (the allocator lists ingress first): the container is
    // created on one of them, and their gateways are its name servers.
    const order = found.map((a, i) => ({ ...a, ref: refs[i]! })).sort((x, y) => Number(this.ingress.has(x.networkId)) - Number(this.ingress.has(y.networkId)));
    const first = order[0]!;
    // Each gateway answers DNS for service names on its network (ipvs-lb); the engine's
    // embedded resolver forwards to them what it does not know itself. Ingress has no names.
    const dns = order.filter((a) => !this.ingress.has(a.networkId)).map((a) => a.ref.gateway);
    return {
      create: {
        HostConfig: { NetworkMode: dockerNetworkName(first.networkId), ...(dns.length > 0 ? { Dns: dns } : {}) },
        NetworkingConfig: endpointsConfigFor(first.ref, first.ip),
      },
      more: order.slice(1).map((a) => ({ network: a.ref, ip: a.ip })),
    };
  }

  /** Joins the container to the task's other networks (after create, before start). */
  async attach(containerId: string, networking: ContainerNetworking): Promise<void> {
    for (const m of networking.more) await this.opts.overlays.connect(containerId, m.network, m.ip);
  }

  /** The tasks changed: networks no container here uses any more are removed. */
  tasksChanged(records: Iterable<Readonly<TaskRecord>>): void {
    this.inUse = networksInUse(records);
    if (this.closed) return;
    this.pruneOnce();
    for (const [id, ref] of this.plumbed) {
      if (this.inUse.has(id)) continue;
      this.plumbed.delete(id);
      this.ensuredAs.delete(id);
      this.opts.overlays.remove(ref).then(
        () => this.opts.log.info({ networkId: id, vni: ref.vni }, 'overlay network removed: no task here uses it'),
        (err: unknown) => {
          // Most likely a container still on it; the next change tries again.
          this.plumbed.set(id, ref);
          this.opts.log.warn({ err, networkId: id }, 'removing an overlay network nobody here uses failed');
        },
      );
    }
  }

  /** Networks plumbed on this node (ids). */
  get networks(): string[] {
    return [...this.plumbed.keys()].sort();
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  private async ensure(d: OverlayDesired): Promise<void> {
    const as = JSON.stringify(d);
    this.ensuredAs.delete(d.network.id);
    await this.opts.overlays.ensure(d);
    this.plumbed.set(d.network.id, d.network);
    this.ensuredAs.set(d.network.id, as);
  }

  private waitForNetwork(networkId: string, taskId: string): Promise<OverlayDesired> {
    const now = this.desired.get(networkId);
    if (now) return Promise.resolve(now);
    const waitMs = this.opts.waitMs ?? DEFAULT_NETWORK_WAIT_MS;
    this.opts.log.info({ taskId, networkId }, 'waiting for a network state that names the task\'s network');
    this.opts.askForState?.();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.waiters.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        const d = this.desired.get(networkId);
        if (d) {
          done();
          resolve(d);
        } else if (this.closed) {
          done();
          reject(new Error(`network ${networkId}: the agent is stopping`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`network ${networkId} is not known to this node: no network state from the dispatcher named it within ${waitMs} ms`));
      }, waitMs);
      this.waiters.add(check);
    });
  }
}
