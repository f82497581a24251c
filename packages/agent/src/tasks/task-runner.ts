import { TaskState, type Task, type TaskStatus } from '@flotilla/api';
import type { Logger } from '@flotilla/bus';
import { TaskError, type DockerExecutor } from '../executor/docker-executor.js';
import type { TaskNetworkHooks } from '../network-state/node-networking.js';
import type { PersistedTask } from '../state/task-state-file.js';
import { step, type FoundContainer, type TaskAction, type TaskEvent } from './task-machine.js';
import { newRecord, statusOf, type ContainerHealth, type TaskRecord } from './task-record.js';
import { errMessage } from '../error-message.js';

export interface TaskRunnerHooks {
  /** A status to send to the dispatcher. */
  report(taskId: string, status: TaskStatus): void;
  /** The set of tasks or their progress changed: persist it. */
  changed(): void;
}

/**
 * The edge of the task state machine: keeps the records, feeds events to `step`, runs the
 * actions on the Docker executor and feeds their outcome back as events. Engine calls of
 * one task never overlap (the machine issues one at a time), except waiting for the exit,
 * which runs beside them.
 */
export class TaskRunner {
  private readonly records = new Map<string, TaskRecord>();
  /** Containers found at start whose task the agent had no record of, by task id. */
  private leftovers = new Map<string, FoundContainer>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly executor: DockerExecutor,
    private readonly hooks: TaskRunnerHooks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Plumbs a task's overlay networks before its container is created; none without it. */
    private readonly networking?: TaskNetworkHooks,
  ) {}

  /**
   * After a restart: the tasks kept on disk meet the containers the engine has. Records get
   * their container back (or learn it is gone); containers without a record wait for the
   * first full set, which either claims them or has them removed.
   */
  restore(persisted: PersistedTask[], containers: Map<string, FoundContainer>): void {
    const left = new Map(containers);
    for (const p of persisted) {
      const rec: TaskRecord = { ...newRecord(p.task), state: p.state, containerId: p.containerId, exitCode: p.exitCode, message: p.message, err: p.err };
      this.records.set(p.task.id, rec);
      const c = left.get(p.task.id);
      left.delete(p.task.id);
      this.log.info({ taskId: p.task.id, containerId: c?.id, running: c?.running }, c ? 're-adopting the task container' : 'no container found for the task');
      this.dispatch(p.task.id, { kind: 'found', container: c });
      // The last status before the restart may never have reached the dispatcher: say it again.
      const now = this.records.get(p.task.id);
      if (now) this.hooks.report(p.task.id, statusOf(now, this.now()));
    }
    this.leftovers = left;
  }

  /** The dispatcher's whole set for this node. */
  applyFullSet(tasks: Task[]): void {
    const ids = new Set(tasks.map((t) => t.id));
    for (const id of [...this.records.keys()]) if (!ids.has(id)) this.dispatch(id, { kind: 'unassigned' });
    for (const t of tasks) this.assign(t);
    for (const [taskId, c] of this.leftovers) {
      this.log.info({ taskId, containerId: c.id }, 'removing the container of a task no longer assigned to this node');
      this.track(this.executor.remove(c.id).catch((err: unknown) => this.log.error({ err, taskId, containerId: c.id }, 'removing a leftover container failed')));
    }
    this.leftovers.clear();
  }

  applyDelta(updated: Task[], removed: string[]): void {
    for (const id of removed) this.dispatch(id, { kind: 'unassigned' });
    for (const t of updated) this.assign(t);
  }

  /** Persisted view of the tasks still assigned. */
  snapshot(): PersistedTask[] {
    return [...this.records.values()]
      .filter((r) => !r.unassigned)
      .map((r) => ({ task: r.task, state: r.state, containerId: r.containerId, exitCode: r.exitCode, message: r.message, err: r.err }));
  }

  /** The engine reported a container's health (its events stream); news of others is ignored. */
  healthReported(containerId: string, health: ContainerHealth): void {
    if (health === 'starting') return;
    const taskId = this.taskOfContainer(containerId);
    if (taskId) this.dispatch(taskId, { kind: health === 'healthy' ? 'health-healthy' : 'health-unhealthy', containerId });
  }

  /**
   * The events stream was broken for a while: ask the engine for the health of every
   * container whose task still waits for (or watches) it.
   */
  recheckHealth(): void {
    for (const [taskId, r] of this.records) {
      if (r.running && (r.health === 'starting' || r.health === 'healthy')) this.checkHealth(taskId, r.containerId);
    }
  }

  record(taskId: string): Readonly<TaskRecord> | undefined {
    return this.records.get(taskId);
  }

  get size(): number {
    return this.records.size;
  }

  /** Every record (for what depends on all of them, like the networks in use). */
  all(): IterableIterator<Readonly<TaskRecord>> {
    return this.records.values();
  }

  /**
   * Stops acting: outcomes that arrive later (a container exiting, a call finishing) are
   * ignored, so a stopped agent never writes its state file again while a new agent owns it.
   */
  close(): void {
    this.closed = true;
  }

  /** Resolves once no engine call is running (waits for exits are not counted). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private assign(task: Task): void {
    if (this.records.has(task.id)) {
      this.dispatch(task.id, { kind: 'assigned', task });
      return;
    }
    const rec = newRecord(task);
    this.records.set(task.id, rec);
    const leftover = this.leftovers.get(task.id);
    this.leftovers.delete(task.id);
    if (leftover) {
      this.log.info({ taskId: task.id, containerId: leftover.id }, 're-adopting a container found for a newly listed task');
      this.dispatch(task.id, { kind: 'found', container: leftover });
    } else if (rec.state !== TaskState.TASK_STATE_ASSIGNED) {
      // The store says the task got further than this agent remembers: find out what is left.
      this.dispatch(task.id, { kind: 'found', container: undefined });
    } else {
      this.dispatch(task.id, { kind: 'assigned', task });
    }
  }

  private taskOfContainer(containerId: string): string | undefined {
    for (const [taskId, r] of this.records) if (r.containerId === containerId) return taskId;
    return undefined;
  }

  private checkHealth(taskId: string, containerId: string): void {
    this.track(
      this.executor.inspectHealth(containerId).then(
        (h) => {
          if (h === 'healthy' || h === 'unhealthy') this.dispatch(taskId, { kind: h === 'healthy' ? 'health-healthy' : 'health-unhealthy', containerId });
        },
        (err: unknown) => this.log.warn({ err, taskId, containerId }, 'asking the engine for the container health failed; waiting for its events'),
      ),
    );
  }

  private dispatch(taskId: string, event: TaskEvent): void {
    const rec = this.records.get(taskId);
    if (!rec || this.closed) return;
    const { record, actions } = step(rec, event, this.now());
    this.records.set(taskId, record);
    if (record.state !== rec.state) this.log.info({ taskId, from: rec.state, to: record.state, err: record.err || undefined }, 'task state');
    for (const a of actions) this.run(taskId, record, a);
    this.hooks.changed();
  }

  private run(taskId: string, rec: TaskRecord, a: TaskAction): void {
    const log = this.log.child({ taskId });
    switch (a.kind) {
      case 'report':
        this.hooks.report(taskId, a.status);
        return;
      case 'forget':
        this.records.delete(taskId);
        return;
      case 'create':
        this.track(
          this.createContainer(rec.task).then(
            async ({ containerId, healthCheck }) => {
              // No check in the spec nor the image: nothing to ask the engine before the start.
              if (!healthCheck) {
                this.dispatch(taskId, { kind: 'created', containerId, healthCheck: false });
                return;
              }
              // The effective check merges the spec's over the image's HEALTHCHECK: ask the engine.
              let health;
              try {
                health = await this.executor.inspectHealth(containerId);
              } catch (err) {
                // The container exists: record it (so it is started or removed), and say why the check is unknown.
                log.error({ err, containerId }, 'inspecting the new task container failed; treating it as having no health check');
              }
              this.dispatch(taskId, { kind: 'created', containerId, healthCheck: health !== undefined && health !== 'none' });
            },
            (err: unknown) => {
              if (!(err instanceof TaskError)) log.error({ err }, 'creating the task container failed');
              this.dispatch(taskId, { kind: 'createFailed', error: errMessage(err) });
            },
          ),
        );
        return;
      case 'start':
        this.track(
          this.executor.start(a.containerId).then(
            () => this.dispatch(taskId, { kind: 'started' }),
            (err: unknown) => this.dispatch(taskId, { kind: 'startFailed', error: `starting container ${a.containerId}: ${errMessage(err)}` }),
          ),
        );
        return;
      case 'checkHealth':
        this.checkHealth(taskId, a.containerId);
        return;
      case 'wait':
        // Not tracked: it lasts as long as the container runs.
        this.executor.wait(a.containerId).then(
          (r) => this.dispatch(taskId, { kind: 'exited', containerId: a.containerId, exitCode: r.exitCode }),
          (err: unknown) => log.warn({ err, containerId: a.containerId }, 'waiting for the container to exit failed'),
        );
        return;
      case 'stop':
        this.track(
          this.executor.stop(rec.task, a.containerId).then(
            () => this.dispatch(taskId, { kind: 'stopped' }),
            (err: unknown) => {
              log.error({ err, containerId: a.containerId }, 'stopping the task container failed');
              this.dispatch(taskId, { kind: 'opFailed', error: errMessage(err) });
            },
          ),
        );
        return;
      case 'remove':
        this.track(
          this.executor.remove(a.containerId).then(
            () => this.dispatch(taskId, { kind: 'removed' }),
            (err: unknown) => {
              log.error({ err, containerId: a.containerId }, 'removing the task container failed');
              this.dispatch(taskId, { kind: 'opFailed', error: errMessage(err) });
            },
          ),
        );
        return;
    }
  }

  /** Networks first (plumbed, then the container created on them), so the process starts with its network. */
  private async createContainer(task: Task): Promise<{ containerId: string; healthCheck: boolean }> {
    const networking = await this.networking?.prepare(task);
    const created = await this.executor.createTask(task, networking?.create);
    const { containerId } = created;
    if (networking && networking.more.length > 0) {
      try {
        await this.networking!.attach(containerId, networking);
      } catch (err) {
        await this.executor.remove(containerId).catch((e: unknown) => this.log.error({ err: e, taskId: task.id, containerId }, 'removing a container whose networks failed'));
        throw err;
      }
    }
    return created;
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
