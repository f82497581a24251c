import { NodeRole, NodeState, StoreOp, TaskState, taskStateToNumber, type ClusterSpec, type NodeDescription, type StoreEvent, type Task, type TaskStatus } from '@flotilla/api';
import type { AssignmentChange, AssignmentWatch, DispatcherBackend, HeartbeatSettings, TaskStatusWrite } from '@flotilla/dispatcher';
import { DEFAULT_HEARTBEAT_PERIOD_MS } from '@flotilla/dispatcher';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from './store-writer.js';

const ASSIGNED = taskStateToNumber(TaskState.TASK_STATE_ASSIGNED);

/** A task the agent must know about: placed on this node by the scheduler. */
export function isAssignedTo(task: Task | undefined, nodeId: string): task is Task {
  return task !== undefined && task.nodeId === nodeId && taskStateToNumber(task.status?.state ?? TaskState.TASK_STATE_NEW) >= ASSIGNED;
}

/** What one store event means for one node's assignment set; undefined when it does not concern it. */
export function assignmentChangeOf(event: StoreEvent, nodeId: string): AssignmentChange | undefined {
  if (event.object?.kind?.$case !== 'task') return undefined;
  const now = event.object.kind.value;
  const before = event.old?.kind?.$case === 'task' ? event.old.kind.value : undefined;
  const wasMine = isAssignedTo(before, nodeId);
  const id = now.id;
  if (event.op === StoreOp.STORE_OP_DELETE) return isAssignedTo(now, nodeId) || wasMine ? { updated: [], removed: [id] } : undefined;
  if (isAssignedTo(now, nodeId)) {
    // A status-only change (what the agent itself reported) tells the agent nothing new.
    if (wasMine && before.desiredState === now.desiredState && sameExceptStatus(before, now)) return undefined;
    return { updated: [now], removed: [] };
  }
  return wasMine ? { updated: [], removed: [id] } : undefined;
}

function sameExceptStatus(a: Task, b: Task): boolean {
  return a.nodeId === b.nodeId && a.specVersion === b.specVersion && JSON.stringify(a.spec) === JSON.stringify(b.spec);
}

/**
 * An agent repeats its last statuses after a restart; the task has been in that state since
 * the first report, which is what `service ps` shows ("Running 2 hours ago").
 */
function keepStateSince(before: TaskStatus | undefined, report: TaskStatus): TaskStatus {
  return before && before.state === report.state && before.timestamp > 0 ? { ...report, timestamp: before.timestamp } : report;
}

function sameReport(before: TaskStatus | undefined, report: TaskStatus): boolean {
  return (
    before !== undefined &&
    before.state === report.state &&
    before.message === report.message &&
    before.err === report.err &&
    (before.container?.containerId ?? '') === (report.container?.containerId ?? '') &&
    (before.container?.exitCode ?? 0) === (report.container?.exitCode ?? 0)
  );
}

/** The dispatcher's view of the replicated store on this manager. */
export class StoreDispatcherBackend implements DispatcherBackend {
  constructor(
    private readonly member: RaftMember,
    private readonly log: Logger,
  ) {}

  async listTasksForNode(nodeId: string): Promise<Task[]> {
    return this.member.store.view().tasks.byNode(nodeId).filter((t) => isAssignedTo(t, nodeId));
  }

  watchAssignments(nodeId: string, onChange: (change: AssignmentChange) => void): AssignmentWatch {
    let stopped = false;
    let sub = this.member.store.watch({ kinds: ['task'] }, { maxQueue: 100_000 });
    const run = async () => {
      while (!stopped) {
        try {
          for await (const event of sub) {
            const change = assignmentChangeOf(event, nodeId);
            if (change) onChange(change);
          }
          if (stopped) return;
        } catch (err) {
          if (stopped) return;
          this.log.warn({ nodeId, err }, 'assignment watch closed; resending the node\'s current set');
        }
        // Lagged or closed by a snapshot restore: watch again and say the whole current set.
        sub = this.member.store.watch({ kinds: ['task'] }, { maxQueue: 100_000 });
        onChange({ updated: await this.listTasksForNode(nodeId), removed: [] });
      }
    };
    void run();
    return {
      stop: () => {
        stopped = true;
        sub.close();
      },
    };
  }

  async updateTaskStatuses(batch: TaskStatusWrite[]): Promise<void> {
    await writeStore(this.member, (view, tx) => {
      for (const w of batch) {
        const task = view.tasks.get(w.taskId);
        if (!task || task.nodeId !== w.nodeId) continue;
        // A late report of an earlier state never moves a task back.
        const from = taskStateToNumber(task.status?.state ?? TaskState.TASK_STATE_NEW);
        if (taskStateToNumber(w.status.state) < from) continue;
        const status = sameReport(task.status, w.status) ? undefined : keepStateSince(task.status, w.status);
        if (status) tx.update('task', { ...task, status });
      }
    });
  }

  async markNodeReady(nodeId: string, description: NodeDescription | undefined): Promise<void> {
    await this.setNodeState(nodeId, NodeState.NODE_STATE_READY, '', description);
  }

  async markNodeDown(nodeId: string, message: string): Promise<void> {
    await this.setNodeState(nodeId, NodeState.NODE_STATE_DOWN, message, undefined);
  }

  async readyNodes(): Promise<string[]> {
    return [...this.member.store.view().nodes.all()].filter((n) => n.status?.state === NodeState.NODE_STATE_READY).map((n) => n.id);
  }

  heartbeatSettings(): HeartbeatSettings {
    const cluster = this.member.store.view().clusters.all().next().value as { spec?: ClusterSpec } | undefined;
    const period = cluster?.spec?.dispatcher?.heartbeatPeriodMs ?? 0;
    return { periodMs: period > 0 ? period : DEFAULT_HEARTBEAT_PERIOD_MS };
  }

  managerAddrs(): string[] {
    const addrs: string[] = [];
    for (const n of this.member.store.view().nodes.all()) {
      if (n.role === NodeRole.NODE_ROLE_MANAGER && n.managerStatus?.addr) addrs.push(n.managerStatus.addr);
    }
    return addrs.sort();
  }

  private async setNodeState(nodeId: string, state: NodeState, message: string, description: NodeDescription | undefined): Promise<void> {
    await writeStore(this.member, (view, tx) => {
      const node = view.nodes.get(nodeId);
      if (!node) {
        this.log.warn({ nodeId, state }, 'a node unknown to the store opened a session or went down; not recorded');
        return false;
      }
      tx.update('node', {
        ...node,
        status: { state, message, addr: node.status?.addr ?? '' },
        ...(description ? { description } : {}),
      });
    }, { onlyAsLeader: `node ${nodeId} is ${state === NodeState.NODE_STATE_DOWN ? 'down' : 'ready'}` });
  }
}
