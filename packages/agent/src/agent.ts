import { mkdir } from 'node:fs/promises';
import { Assignments, AssignmentsResyncRequest, type NodeDescription } from '@flotilla/api';
import {
  BusErrorCode,
  decodeMessage,
  isBusRequestError,
  request,
  silentLogger,
  type BusConnection,
  type ClusterSubjects,
  type Logger,
} from '@flotilla/bus';
import type { AssignmentUpdate } from './assignments/assignment-sequencer.js';
import { AssignmentSequencer } from './assignments/assignment-sequencer.js';
import type { DockerExecutor } from './executor/docker-executor.js';
import { HealthEvents } from './executor/health-events.js';
import { TaskSecretFiles } from './secrets/task-secret-files.js';
import { TaskPluginVolumes, type VolumeDriverAccess } from './volumes/plugin-volumes.js';
import { NodeNetworking, type OverlayOptions } from './network-state/node-networking.js';
import { LogServer } from './logs/log-server.js';
import { describeNode } from './executor/node-description.js';
import { SessionClient } from './session/session-client.js';
import { TaskStateFile } from './state/task-state-file.js';
import { StatusReporter } from './status/status-reporter.js';
import type { FoundContainer } from './tasks/task-machine.js';
import type { TaskRecord } from './tasks/task-record.js';
import { TaskRunner } from './tasks/task-runner.js';

export interface AgentOptions {
  nodeId: string;
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  executor: DockerExecutor;
  /** Where the agent keeps its assignments (assignments.json). */
  dataDir: string;
  logger?: Logger;
  /** What the node tells the dispatcher; `docker info` by default. */
  describe?: () => Promise<NodeDescription>;
  statusDelayMs?: number;
  requestTimeoutMs?: number;
  /** Root of the per-task secret tmpfs mounts; default /run/flotilla/secrets. */
  secretsRoot?: string;
  /** Plumb overlay networks for tasks that have them (the node's advertise address is required). */
  overlay?: OverlayOptions;
  /** Told the managers' join/CA addresses at every heartbeat (the node keeps them to reach another manager). */
  onManagers?: (addrs: readonly string[]) => void;
  /** Reaches volume driver plugins; without it a task with a plugin volume fails. */
  volumeDrivers?: VolumeDriverAccess;
}

/**
 * The worker: a session with the dispatcher, assignments in order (resynced after a
 * gap), the tasks driven through the Docker executor, statuses reported in batches, and
 * the assignments kept on disk so a restarted agent re-adopts its containers.
 */
export class Agent {
  private readonly log: Logger;
  private readonly file: TaskStateFile;
  private readonly sequencer = new AssignmentSequencer();
  private readonly runner: TaskRunner;
  private readonly reporter: StatusReporter;
  private readonly session: SessionClient;
  private readonly health: HealthEvents;
  private readonly secretFiles: TaskSecretFiles;
  /** Overlay networks of the tasks and the dispatcher's NodeNetworkState (when `overlay` is given). */
  readonly networking: NodeNetworking | undefined;
  private readonly logs: LogServer;
  private unsubscribe: (() => void) | undefined;
  private resyncing = false;
  private started = false;

  constructor(private readonly opts: AgentOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ component: 'agent', nodeId: opts.nodeId });
    this.file = new TaskStateFile(opts.dataDir, opts.nodeId);
    this.networking = opts.overlay
      ? new NodeNetworking({
          nc: opts.nc,
          subjects: opts.subjects,
          nodeId: opts.nodeId,
          docker: opts.executor.docker,
          log: this.log,
          overlay: opts.overlay,
          sessionRejected: (id) => this.session.sessionRejected(id),
          ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
        })
      : undefined;
    this.runner = new TaskRunner(
      opts.executor,
      {
        report: (taskId, status) => this.reporter.push(taskId, status),
        changed: () => {
          this.networking?.tasksChanged(this.runner.all());
          this.persist();
        },
      },
      this.log,
      Date.now,
      this.networking,
    );
    this.health = new HealthEvents({
      docker: opts.executor.docker,
      nodeId: opts.nodeId,
      log: this.log,
      onHealth: (containerId, health) => this.runner.healthReported(containerId, health),
      onResubscribed: () => this.runner.recheckHealth(),
    });
    this.logs = new LogServer({ nodeId: opts.nodeId, nc: opts.nc, subjects: opts.subjects, docker: opts.executor.docker, log: this.log });
    this.secretFiles = new TaskSecretFiles({
      nc: opts.nc,
      subjects: opts.subjects,
      nodeId: opts.nodeId,
      sessionId: () => this.session.sessionId,
      log: this.log,
      ...(opts.secretsRoot === undefined ? {} : { root: opts.secretsRoot }),
      ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
    });
    opts.executor.useSecretFiles(this.secretFiles);
    if (opts.volumeDrivers) opts.executor.usePluginVolumes(new TaskPluginVolumes(opts.volumeDrivers, this.log));
    this.reporter = new StatusReporter({
      nc: opts.nc,
      subjects: opts.subjects,
      nodeId: opts.nodeId,
      log: this.log,
      sessionId: () => this.session.sessionId,
      sessionRejected: (id) => this.session.sessionRejected(id),
      ...(opts.statusDelayMs === undefined ? {} : { delayMs: opts.statusDelayMs }),
      ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
    });
    this.session = new SessionClient({
      nc: opts.nc,
      subjects: opts.subjects,
      nodeId: opts.nodeId,
      log: this.log,
      describe: opts.describe ?? (() => describeNode(opts.executor.docker)),
      onSession: (id) => this.onSession(id),
      onHeartbeat: (sessionId, res) => {
        this.resyncIfNeeded(sessionId, res.assignmentsSequence);
        this.networking?.heartbeat(sessionId, res.networksSequence);
        if (res.managerAddrs.length > 0) opts.onManagers?.(res.managerAddrs);
      },
      ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
    });
  }

  /** Restores the tasks kept on disk against the engine's containers, then opens the session. */
  async start(): Promise<void> {
    if (this.started) throw new Error(`agent of node ${this.opts.nodeId} is already started`);
    this.started = true;
    let persisted: Awaited<ReturnType<TaskStateFile['load']>>;
    let containers: Map<string, FoundContainer>;
    try {
      await mkdir(this.opts.dataDir, { recursive: true, mode: 0o700 });
      persisted = await this.file.load();
      // Listen first: a container found `starting` may turn healthy right after we look.
      await this.health.start();
      containers = await this.opts.executor.findTaskContainers(this.opts.nodeId);
      // Secrets of containers removed while the agent was away go now.
      await this.secretFiles.sweep(new Set(containers.keys()));
    } catch (err) {
      this.started = false;
      await this.health.stop();
      throw new Error(`starting the agent of node ${this.opts.nodeId}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.runner.restore(persisted, containers);
    const sub = this.opts.nc.subscribe(this.opts.subjects.node.assignments(this.opts.nodeId), {
      callback: (err, msg) => {
        if (err) {
          this.log.error({ err }, 'assignment subscription failed');
          return;
        }
        try {
          this.onAssignments(decodeMessage(Assignments, msg.data, msg.subject));
        } catch (e) {
          this.log.error({ err: e }, 'dropping an assignment message');
        }
      },
    });
    this.unsubscribe = () => sub.unsubscribe();
    this.logs.start();
    this.networking?.start();
    this.session.start();
    this.log.info({ restored: persisted.length, containers: containers.size }, 'agent started');
  }

  /**
   * Stops heartbeating and taking assignments. Containers keep running: the next agent on
   * this data dir re-adopts them.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    await this.logs.stop();
    // Freeze the tasks first so every status they produced is in the reporter's queue
    // before it sends what it can; whatever does not get through is said again at restore.
    this.runner.close();
    this.networking?.stop();
    await this.health.stop();
    await this.reporter.close();
    await this.session.stop();
    await this.runner.idle();
    await this.file.idle();
    this.log.info('agent stopped');
  }

  get sessionId(): string | undefined {
    return this.session.sessionId;
  }

  task(taskId: string): Readonly<TaskRecord> | undefined {
    return this.runner.record(taskId);
  }

  get taskCount(): number {
    return this.runner.size;
  }

  private onSession(sessionId: string): void {
    this.apply(this.sequencer.setSession(sessionId));
    this.reporter.sessionChanged();
    this.networking?.sessionChanged(sessionId);
  }

  private onAssignments(msg: Assignments): void {
    this.apply(this.sequencer.receive(msg));
    // A gap right after a message means one was lost: ask now rather than at the next heartbeat.
    if (this.sequencer.needsFullSet && this.sequencer.sequence !== undefined) void this.resync();
  }

  private apply(updates: AssignmentUpdate[]): void {
    for (const u of updates) {
      if (u.kind === 'full') {
        this.log.info({ sessionId: this.sequencer.session, sequence: this.sequencer.sequence, tasks: u.tasks.length }, 'full set of assignments');
        this.runner.applyFullSet(u.tasks);
      } else {
        this.runner.applyDelta(u.updated, u.removed);
      }
    }
  }

  /** Heartbeat answered: ask for the full set if it never came, or if a message was lost. */
  private resyncIfNeeded(sessionId: string, sentSequence: number): void {
    if (this.sequencer.needsFullSet || this.sequencer.isBehind(sessionId, sentSequence)) void this.resync();
  }

  private async resync(): Promise<void> {
    const sessionId = this.sequencer.session;
    if (this.resyncing || !sessionId) return;
    this.resyncing = true;
    try {
      this.log.info({ sessionId, sequence: this.sequencer.sequence }, 'asking the dispatcher for the full set of assignments');
      const full = await request(
        this.opts.nc,
        this.opts.subjects.dispatcher.assignments(this.opts.nodeId),
        AssignmentsResyncRequest,
        { sessionId },
        Assignments,
        { timeoutMs: this.opts.requestTimeoutMs ?? 5_000 },
      );
      if (this.started) this.apply(this.sequencer.receive(full));
    } catch (err) {
      if (isBusRequestError(err, BusErrorCode.NOT_FOUND)) this.session.sessionRejected(sessionId);
      else this.log.warn({ err, sessionId }, 'asking for the full set of assignments failed; will retry at the next heartbeat');
    } finally {
      this.resyncing = false;
    }
  }

  private persist(): void {
    this.file.save(() => this.runner.snapshot()).catch((err: unknown) => this.log.error({ err, path: this.file.path }, 'saving the task state failed'));
  }
}
