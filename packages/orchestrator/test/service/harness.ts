// A real single-member Raft cluster for the manager services: a real nats-server with mutual TLS
// (testkit), a real WAL in a temp dir, and the allocator, scheduler and orchestrator running on
// the member's store as they do in flotillad. Test writes go through Raft like the CLI's and the
// dispatcher's would.
import { join } from 'node:path';
import {
  Cluster as ClusterObject,
  Node,
  NodeAvailability,
  NodeState,
  Service,
  ServiceMode,
  TaskState,
  type RestartPolicy,
  type Task,
} from '@flotilla/api';
import { AllocatorService } from '@flotilla/allocator';
import { RaftMember, TransactionBuilder, VersionConflict, localStoreAccess, type ReadTx, type StoreAccess } from '@flotilla/raft';
import { SchedulerService } from '@flotilla/scheduler';
import { tempDir, waitFor, makeTestPki, startTestNats, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino, type Logger } from 'pino';
import { OrchestratorService } from '../../src/index.js';

export const logger: Logger = pino({ level: process.env.ORCH_TEST_LOG ?? 'silent' });

export interface Env {
  tmp: TempDir;
  nats: TestNats;
}

export async function startEnv(): Promise<Env> {
  const tmp = await tempDir('flotilla-orch-svc-');
  const nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  return { tmp, nats };
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  await env?.nats.stop();
  await env?.tmp.cleanup();
}

let clusters = 0;

export class Cluster {
  readonly orchestrator: OrchestratorService;
  readonly scheduler: SchedulerService;
  readonly allocator: AllocatorService;
  private writes = 0;

  private constructor(
    readonly member: RaftMember,
    readonly store: StoreAccess,
  ) {
    this.orchestrator = new OrchestratorService({ store, logger, nodeId: 'mgr-1' });
    this.scheduler = new SchedulerService({ store, logger, nodeId: 'mgr-1' });
    this.allocator = new AllocatorService({ store, logger, nodeId: 'mgr-1' });
  }

  static async start(env: Env): Promise<Cluster> {
    const bus = await env.nats.connect('m1');
    const member = await RaftMember.start({
      id: 1,
      clusterId: `svc${clusters}`,
      dataDir: join(env.tmp.path, `member-${clusters++}`),
      nc: bus.nc,
      bootstrap: [1],
      tickMs: 20,
      logger,
    });
    await waitFor(() => member.isLeader, { what: 'the single member to lead' });
    const c = new Cluster(member, localStoreAccess(member));
    const services = [c.allocator, c.scheduler, c.orchestrator];
    await Promise.all(services.map((s) => s.start()));
    // Leadership is an input, as flotillad wires it.
    member.onLeaderChange((ch) => services.forEach((s) => void s.setLeader(ch.isLeader).catch(() => undefined)));
    await Promise.all(services.map((s) => s.setLeader(member.isLeader)));
    return c;
  }

  async stop(): Promise<void> {
    await Promise.all([this.allocator.stop(), this.scheduler.stop(), this.orchestrator.stop()]);
    await this.member.stop();
  }

  view(): ReadTx {
    return this.store.view();
  }

  private txId(): string {
    return `test-${this.writes++}`;
  }

  async addNode(id: string, labels: Record<string, string> = {}): Promise<void> {
    const node = Node.fromPartial({
      id,
      spec: { annotations: { name: id, labels }, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
      description: { hostname: id, resources: { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 } },
      status: { state: NodeState.NODE_STATE_READY, addr: '127.0.0.1' },
    });
    await this.store.propose(new TransactionBuilder(this.txId(), Date.now()).create('node', node).build());
  }

  /** Read-modify-write with a retry on a version conflict (the services write concurrently). */
  async updateNode(id: string, change: (n: Node) => Node): Promise<void> {
    await this.retry(() => {
      const n = this.view().nodes.get(id);
      if (!n) throw new Error(`no node ${id}`);
      return new TransactionBuilder(this.txId(), Date.now()).update('node', change(n));
    });
  }

  async createService(o: {
    id: string;
    replicas?: number;
    global?: boolean;
    mode?: ServiceMode;
    maxConcurrent?: number;
    constraints?: string[];
    restart?: Partial<RestartPolicy>;
  }): Promise<void> {
    const service = Service.fromPartial({
      id: o.id,
      specVersion: 1,
      spec: {
        annotations: { name: o.id },
        mode: o.mode ?? (o.global ? ServiceMode.SERVICE_MODE_GLOBAL : ServiceMode.SERVICE_MODE_REPLICATED),
        replicas: o.replicas ?? 0,
        maxConcurrent: o.maxConcurrent ?? 0,
        task: {
          container: { image: 'flotilla/busybox:latest' },
          placement: { constraints: o.constraints ?? [] },
          ...(o.restart ? { restart: o.restart } : {}),
        },
      },
    });
    await this.store.propose(new TransactionBuilder(this.txId(), Date.now()).create('service', service).build());
  }

  async scale(id: string, replicas: number): Promise<void> {
    await this.retry(() => {
      const s = this.view().services.get(id)!;
      return new TransactionBuilder(this.txId(), Date.now()).update('service', {
        ...s,
        spec: { ...s.spec!, replicas },
        specVersion: s.specVersion,
      });
    });
  }

  async deleteService(id: string): Promise<void> {
    await this.retry(() => new TransactionBuilder(this.txId(), Date.now()).delete('service', this.view().services.get(id)!));
  }

  /** What `swarm update --task-history-limit` writes: the cluster object's orchestration spec. */
  async setTaskHistoryLimit(limit: number): Promise<void> {
    await this.retry(() => {
      const current = this.view().clusters.all().next().value;
      const tx = new TransactionBuilder(this.txId(), Date.now());
      if (!current) return tx.create('cluster', ClusterObject.fromPartial({ id: 'cluster-1', spec: { annotations: { name: 'default' }, orchestration: { taskHistoryRetentionLimit: limit } } }));
      return tx.update('cluster', { ...current, spec: { ...current.spec!, orchestration: { taskHistoryRetentionLimit: limit } } });
    });
  }

  /** What the dispatcher writes when an agent reports a task's state. */
  async reportTask(id: string, state: TaskState, extra: { exitCode?: number } = {}): Promise<void> {
    await this.retry(() => {
      const t = this.view().tasks.get(id);
      if (!t) throw new Error(`no task ${id}`);
      return new TransactionBuilder(this.txId(), Date.now()).update('task', {
        ...t,
        status: {
          ...t.status!,
          state,
          timestamp: Date.now(),
          message: `reported ${state}`,
          ...(extra.exitCode !== undefined ? { container: { containerId: '', pid: 0, exitCode: extra.exitCode } } : {}),
        },
      });
    });
  }

  private async retry(build: () => TransactionBuilder): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.propose(build().build());
        return;
      } catch (err) {
        if (!(err instanceof VersionConflict) || attempt >= 20) throw err;
      }
    }
  }

  tasksOf(serviceId: string): Task[] {
    return this.view().tasks.byService(serviceId);
  }

  /** Tasks still wanted (desiredState RUNNING or READY). */
  liveTasksOf(serviceId: string): Task[] {
    return this.tasksOf(serviceId).filter(
      (t) => t.desiredState === TaskState.TASK_STATE_RUNNING || t.desiredState === TaskState.TASK_STATE_READY,
    );
  }
}

/** Live tasks of the service per node, for tasks that reached ASSIGNED. */
export function assignedPerNode(tasks: readonly Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) {
    if (t.status?.state !== TaskState.TASK_STATE_ASSIGNED || t.desiredState !== TaskState.TASK_STATE_RUNNING) continue;
    out[t.nodeId] = (out[t.nodeId] ?? 0) + 1;
  }
  return out;
}

export { waitFor };
