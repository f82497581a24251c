// The leader-side edge of the scheduler: collects store events for a short window (default
// 50 ms from the first event, not extended by later ones), then places every PENDING task with
// scheduleBatch over one read view, writing ASSIGNED + nodeId, or the pending reason of a task
// that fits nowhere (only when the reason changed, so an unplaceable task costs no write per pass).
import { randomUUID } from 'node:crypto';
import { StoreOp, TaskState, isAtMostRunning, type StoreEvent, type Task } from '@flotilla/api';
import { LeaderGatedService } from '@flotilla/bus';
import { TransactionBuilder, VersionConflict, type ReadTx, type StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import { occupiesNode } from '../node-info.js';
import { scheduleBatch } from '../schedule-batch.js';
import { followStore, type Following } from '@flotilla/raft';
import { WorkLoop } from '@flotilla/bus';

export interface SchedulerServiceOptions {
  store: StoreAccess;
  logger?: Logger;
  nodeId?: string;
  /** How long events are collected before placing. Default 50 ms. */
  batchWindowMs?: number;
  /** Task writes per transaction. Default 500. */
  maxWritesPerTransaction?: number;
  now?: () => number;
}

/** Why a pass should run; the pass itself always reads everything pending from one view. */
interface Work {
  requested: boolean;
}

export class SchedulerService extends LeaderGatedService {
  private readonly store: StoreAccess;
  private readonly batchWindowMs: number;
  private readonly maxWrites: number;
  private readonly now: () => number;
  private loop: WorkLoop<Work> | undefined;
  private following: Following | undefined;
  /** Pending tasks the last pass could not place: freed capacity may let them fit. */
  private unplaced = 0;

  constructor(o: SchedulerServiceOptions) {
    super('scheduler', o.logger?.child({ component: 'scheduler', nodeId: o.nodeId ?? '' }));
    this.store = o.store;
    this.batchWindowMs = o.batchWindowMs ?? 50;
    this.maxWrites = o.maxWritesPerTransaction ?? 500;
    this.now = o.now ?? Date.now;
  }

  get passes(): number {
    return this.loop?.stats.passes ?? 0;
  }

  /** Store index of the view the last finished pass placed from, its writes done (tests, diagnostics). */
  get lastPassIndex(): number {
    return this.lastIndex;
  }

  private lastIndex = 0;

  protected async onActivate(): Promise<void> {
    const loop = new WorkLoop<Work>({
      windowMs: this.batchWindowMs,
      empty: () => ({ requested: false }),
      merge: (into, from) => void (into.requested ||= from.requested),
      run: () => this.pass(),
      log: this.log,
      isExpected: (err) => err instanceof VersionConflict,
    });
    this.loop = loop;
    this.following = followStore(
      this.store,
      { kinds: ['task', 'node'] },
      { onEvent: (ev) => this.onEvent(ev), onResync: () => loop.add((w) => void (w.requested = true)) },
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
    if (!kind || !this.loop) return;
    if (kind.$case === 'node') return this.loop.add((w) => void (w.requested = true));
    if (kind.$case !== 'task') return;
    const t = kind.value;
    const old = ev.old?.kind?.$case === 'task' ? ev.old.kind.value : undefined;
    const nowPending = ev.op !== StoreOp.STORE_OP_DELETE && isPlaceable(t);
    // A task leaving a node frees room that may let an unplaced task fit.
    const freed = this.unplaced > 0 && old !== undefined && occupiesNode(old) && (ev.op === StoreOp.STORE_OP_DELETE || !occupiesNode(t));
    if (nowPending || freed) this.loop.add((w) => void (w.requested = true));
  }

  private async pass(): Promise<void> {
    const view = this.store.view();
    await this.place(view);
    this.lastIndex = view.index;
  }

  private async place(view: ReadTx): Promise<void> {
    const pending = pendingTasks(view);
    if (pending.length === 0) {
      this.unplaced = 0;
      return;
    }
    const nodes = [...view.nodes.all()];
    const current = nodes.flatMap((n) => view.tasks.byNode(n.id));
    const result = scheduleBatch(pending, nodes, current);
    this.unplaced = result.unassigned.length;

    const now = this.now();
    const writes: Array<{ task: Task; log: () => void }> = [];
    for (const a of result.assignments) {
      const t = view.tasks.get(a.taskId)!;
      writes.push({
        task: { ...t, nodeId: a.nodeId, status: { ...t.status!, state: TaskState.TASK_STATE_ASSIGNED, message: 'scheduler assigned task to node', pendingReason: '', timestamp: now } },
        log: () => this.log.info({ taskId: t.id, serviceId: t.serviceId, nodeId: a.nodeId }, 'task assigned'),
      });
    }
    for (const u of result.unassigned) {
      const t = view.tasks.get(u.taskId)!;
      if (t.status?.pendingReason === u.reason) continue;
      writes.push({
        task: { ...t, status: { ...t.status!, pendingReason: u.reason } },
        log: () => this.log.info({ taskId: t.id, serviceId: t.serviceId, reason: u.reason }, 'task stays pending'),
      });
    }
    for (let i = 0; i < writes.length; i += this.maxWrites) {
      const chunk = writes.slice(i, i + this.maxWrites);
      const b = new TransactionBuilder(`scheduler-${randomUUID()}`, now);
      for (const w of chunk) b.update('task', w.task);
      const index = await this.store.propose(b.build());
      for (const w of chunk) w.log();
      this.log.debug({ index, writes: chunk.length }, 'scheduler batch written');
    }
  }
}

function isPlaceable(t: Task): boolean {
  return t.status?.state === TaskState.TASK_STATE_PENDING && isAtMostRunning(t.desiredState);
}

/** Every task waiting for a node, oldest first so earlier requests are placed first. */
function pendingTasks(view: ReadTx): Task[] {
  const out: Task[] = [];
  for (const desired of [TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_READY]) {
    for (const t of view.tasks.byDesiredState(desired)) if (isPlaceable(t)) out.push(t);
  }
  const created = (t: Task): number => t.meta?.createdAt ?? 0;
  return out.sort((a, b) => created(a) - created(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
