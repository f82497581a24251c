// What the cluster actually does during a chaos run, sampled every few seconds: the nodes and the
// tasks of the run's services from a manager, and the containers each host's engine runs. Two
// rules are checked on the samples: no slot runs two containers longer than the stop grace period
// (allowing for hosts a fault cut off: their tasks keep running, as on Docker, until they are
// back), and no node held Down gets a new task. Convergence (desired = actual) is checked here
// too, once the faults have stopped.
import { NodeState, TaskState, type ListNodesResponse, type ListServicesResponse, type ListTasksResponse, type Task } from '@flotilla/api';
import type { ClusterNode, HostCluster } from '../helpers/host-cluster.js';
import { control } from './control-calls.js';
import type { FaultInjector } from './faults.js';
import { STOP_GRACE_MS } from './workload.js';

/** Sampling and reporting slack on top of the stop grace period. */
const DUPLICATE_SLACK_MS = 10_000;
/** After a fault on a host is healed, how long its agent may take to hear what changed meanwhile. */
const RECONNECT_MARGIN_MS = 30_000;

export interface Container {
  readonly id: string;
  readonly serviceId: string;
  readonly taskId: string;
  readonly host: string;
}

interface Sample {
  readonly at: number;
  /**
   * Nodes Down for the whole sample → their record's version. A node counts only when it was
   * Down with the same version before and after the task lists were read.
   */
  readonly down: Map<string, number>;
  /** task id → node id, for tasks that want to run. */
  readonly placed: Map<string, string>;
}

export class Observer {
  readonly violations: string[] = [];
  samples = 0;
  private readonly slotOf = new Map<string, string>();
  private readonly nodeName = new Map<string, string>();
  private readonly duplicates = new Map<string, { since: number; reported: boolean }>();
  private last: Sample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly cluster: HostCluster,
    private readonly faults: FaultInjector,
    private readonly names: readonly string[],
    private readonly now: () => number,
  ) {
    for (const n of cluster.nodes) this.nodeName.set(n.nodeId, n.name);
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      this.inFlight = this.sample()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** A manager that runs and is not under a fault, to ask. */
  private async someManager(): Promise<ClusterNode | undefined> {
    const leader = await this.faults.leader();
    if (leader && !this.faults.isHeld(leader)) return leader;
    return this.cluster.nodes.find((n) => n.role === 'manager' && !this.faults.isHeld(n) && n.daemon?.exitCode === null && n.daemon.signalCode === null);
  }

  async sample(): Promise<void> {
    const at = this.now();
    const m = await this.someManager();
    if (!m) return;
    const before = await this.downNodes(m);
    if (!before) return;
    const placed = new Map<string, string>();
    for (const name of this.names) {
      const r = await control<ListTasksResponse>(m.socket, 'listTasks', { service: name, desiredStates: [] }, 3_000);
      if (!r.ok) continue;
      for (const t of r.res.tasks) {
        this.slotOf.set(t.id, `${t.serviceId}/${t.slot}`);
        if (t.nodeId && wantsToRun(t)) placed.set(t.id, t.nodeId);
      }
    }
    const after = await this.downNodes(m);
    if (!after) return;
    // The task lists take a while: a node that came back (or changed at all) meanwhile may rightly
    // have been given tasks, so only nodes whose record did not change during the sample count.
    const down = new Map([...before].filter(([id, version]) => after.get(id) === version));
    this.checkDownAssignments({ at, down, placed }, m);
    this.checkDuplicateSlots(at, await this.containers());
    this.last = { at, down, placed };
    this.samples++;
  }

  /** Down nodes → the version of their record, as one manager sees them; undefined if it cannot answer. */
  private async downNodes(m: ClusterNode): Promise<Map<string, number> | undefined> {
    const nodes = await control<ListNodesResponse>(m.socket, 'listNodes', {}, 3_000);
    if (!nodes.ok) return undefined;
    const down = new Map<string, number>();
    for (const v of nodes.res.nodes) if (v.node?.status?.state === NodeState.NODE_STATE_DOWN) down.set(v.node.id, v.node.meta?.version ?? -1);
    return down;
  }

  /** A task that appeared on a node that was Down, its record unchanged, from the sample before to this one. */
  private checkDownAssignments(cur: Sample, asked: ClusterNode): void {
    const prev = this.last;
    if (!prev) return;
    for (const [taskId, nodeId] of cur.placed) {
      // Same record version in both samples: the node stayed Down, untouched, from one to the next.
      const version = cur.down.get(nodeId);
      if (version === undefined || prev.down.get(nodeId) !== version || prev.placed.get(taskId) === nodeId) continue;
      this.violations.push(
        `task ${taskId} was assigned to node ${this.nodeName.get(nodeId) ?? nodeId} while it was Down (Down at ${ms(prev.at)} and ${ms(cur.at)}, seen from ${asked.name})`,
      );
    }
  }

  private checkDuplicateSlots(at: number, containers: Container[]): void {
    const bySlot = new Map<string, Container[]>();
    for (const c of containers) {
      const slot = this.slotOf.get(c.taskId);
      if (!slot) continue;
      let list = bySlot.get(slot);
      if (!list) bySlot.set(slot, (list = []));
      list.push(c);
    }
    for (const [slot, list] of bySlot) {
      if (list.length < 2) {
        this.duplicates.delete(slot);
        continue;
      }
      let d = this.duplicates.get(slot);
      if (!d) this.duplicates.set(slot, (d = { since: at, reported: false }));
      const excused = list.some((c) => this.faults.wasDisturbed(c.host, d!.since, at, RECONNECT_MARGIN_MS));
      if (excused) d.since = at;
      else if (!d.reported && at - d.since > STOP_GRACE_MS + DUPLICATE_SLACK_MS) {
        d.reported = true;
        this.violations.push(`slot ${slot} ran two tasks for over ${((at - d.since) / 1000).toFixed(1)} s (until ${ms(at)}): ${list.map((c) => `${c.taskId} on ${c.host}`).join(', ')}`);
      }
    }
    for (const slot of [...this.duplicates.keys()]) if (!bySlot.has(slot)) this.duplicates.delete(slot);
  }

  /** Running containers of Flotilla services on every host whose engine answers. */
  async containers(): Promise<Container[]> {
    const all = await Promise.all(
      this.cluster.nodes.map(async (n) => {
        const ps = await n.host.exec(
          ['docker', 'ps', '--filter', 'label=io.flotilla.service.id', '--format', '{{.ID}} {{.Label "io.flotilla.service.id"}} {{.Label "io.flotilla.task.id"}}'],
          { allowFailure: true, timeoutMs: 10_000 },
        );
        if (ps.code !== 0) return [];
        return ps.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [id, serviceId, taskId] = line.split(' ');
            return { id: id!, serviceId: serviceId!, taskId: taskId!, host: n.name };
          });
      }),
    );
    return all.flat();
  }

  /**
   * Why the cluster has not converged yet, or undefined when it has: every node Ready, each
   * service runs exactly its replicas (one container per slot), and nothing runs for a service that
   * is gone.
   */
  async divergence(): Promise<string | undefined> {
    const m = await this.someManager();
    if (!m) return 'no manager answers';
    const nodes = await control<ListNodesResponse>(m.socket, 'listNodes', {}, 3_000);
    if (!nodes.ok) return `node ls on ${m.name}: ${nodes.details}`;
    const notReady = nodes.res.nodes.filter((v) => v.node?.status?.state !== NodeState.NODE_STATE_READY).map((v) => v.node?.description?.hostname ?? v.node?.id);
    if (notReady.length > 0) return `nodes not Ready: ${notReady.join(', ')}`;
    const services = await control<ListServicesResponse>(m.socket, 'listServices', {}, 3_000);
    if (!services.ok) return `service ls on ${m.name}: ${services.details}`;
    for (const name of this.names) {
      const r = await control<ListTasksResponse>(m.socket, 'listTasks', { service: name, desiredStates: [] }, 3_000);
      if (r.ok) for (const t of r.res.tasks) this.slotOf.set(t.id, `${t.serviceId}/${t.slot}`);
    }
    const containers = await this.containers();
    const wanted = new Map(services.res.services.map((v) => [v.service!.id, { name: v.service!.spec?.annotations?.name ?? '', replicas: Number(v.service!.spec?.replicas ?? 0) }]));
    const problems: string[] = [];
    for (const [id, s] of wanted) {
      const mine = containers.filter((c) => c.serviceId === id);
      const slots = new Set(mine.map((c) => this.slotOf.get(c.taskId)));
      if (mine.length !== s.replicas || slots.size !== mine.length) problems.push(`${s.name}: ${mine.length} containers in ${slots.size} slots, ${s.replicas} wanted`);
    }
    const strays = containers.filter((c) => !wanted.has(c.serviceId));
    if (strays.length > 0) problems.push(`${strays.length} containers of removed services still run (${strays.map((c) => `${c.taskId} on ${c.host}`).join(', ')})`);
    return problems.length > 0 ? problems.join('; ') : undefined;
  }
}

function wantsToRun(t: Task): boolean {
  return t.desiredState === TaskState.TASK_STATE_RUNNING || t.desiredState === TaskState.TASK_STATE_READY;
}

const ms = (t: number): string => `${(t / 1000).toFixed(1)} s`;
