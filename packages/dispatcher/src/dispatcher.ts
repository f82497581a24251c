import { randomBytes } from 'node:crypto';
import {
  Assignments,
  AssignmentsResyncRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  NetworkStateRequest,
  NodeNetworkState,
  OpenSessionRequest,
  OpenSessionResponse,
  TaskStatusAck,
  TaskStatusBatch,
  type TaskStatusRejection,
} from '@flotilla/api';
import {
  BusErrorCode,
  BusRequestError,
  encodeMessage,
  lastSubjectToken,
  RefusalLog,
  serve,
  silentLogger,
  type BusConnection,
  type ClusterSubjects,
  type Logger,
  type Served,
} from '@flotilla/bus';
import { AssignmentStream } from './assignments/assignment-stream.js';
import type { AssignmentChange, AssignmentWatch, DispatcherBackend, TaskStatusWrite } from './backend.js';
import { DeadlineTimer } from './heartbeat/deadline-timer.js';
import { DEFAULT_GRACE_MULTIPLIER, HeartbeatTracker } from './heartbeat/heartbeat-tracker.js';
import { NetworkStatePublisher, type NetworkStateSource } from './networks/network-state-publisher.js';
import { sessionNotFound } from './session/session-errors.js';
import { SessionTable } from './session/session-table.js';
import { StatusBatcher, type StatusBatcherOptions } from './status/status-batcher.js';

export interface DispatcherOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  backend: DispatcherBackend;
  logger?: Logger;
  graceMultiplier?: number;
  statusBatch?: Partial<StatusBatcherOptions>;
  /** Session ids; random by default. */
  newSessionId?: () => string;
  /** The store's networks, services, tasks and nodes: each session is then kept told its NodeNetworkState. */
  networks?: NetworkStateSource;
  /** How long network changes are gathered before the states are assembled again. */
  networkBatchMs?: number;
}

/** What the dispatcher keeps per node with a live session. */
interface NodeLink {
  sessionId: string;
  stream: AssignmentStream;
  watch: AssignmentWatch | undefined;
  /** Changes seen while the full set was being listed; sent right after it. */
  early: AssignmentChange[] | undefined;
}

export const DEFAULT_STATUS_BATCH: StatusBatcherOptions = { delayMs: 20, maxBatch: 500 };

/**
 * Serves agent sessions over the bus: open, heartbeat, assignments (pushed on the node's
 * subject, resync on request) and task status intake. The node id always comes from the
 * request subject, which NATS permissions tie to the sender's certificate.
 *
 * Exactly one dispatcher should serve a cluster at a time (flotillad runs it on the Raft
 * leader): sessions live in this process, so requests must not be spread over several.
 */
export class Dispatcher {
  private readonly log: Logger;
  /** What nodes send that is refused (updates for tasks they do not hold): summed up, a worker can loop. */
  private readonly refusals: RefusalLog;
  private readonly sessions = new SessionTable();
  private readonly links = new Map<string, NodeLink>();
  private readonly tracker: HeartbeatTracker;
  private readonly timer: DeadlineTimer;
  /** Set when stop begins: no node is expired any more, whatever is still draining. */
  private halted = false;
  private readonly statuses: StatusBatcher;
  private served: Served[] = [];
  private readonly newSessionId: () => string;
  private readonly networkStates: NetworkStatePublisher | undefined;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ component: 'dispatcher' });
    this.refusals = new RefusalLog({ log: this.log, what: 'dispatcher', noun: 'status batches', sources: ['node', 'nodes'] });
    this.tracker = new HeartbeatTracker(opts.backend.heartbeatSettings().periodMs, opts.graceMultiplier ?? DEFAULT_GRACE_MULTIPLIER);
    this.timer = new DeadlineTimer(() => this.expireSilentNodes());
    this.statuses = new StatusBatcher((batch) => opts.backend.updateTaskStatuses(batch), { ...DEFAULT_STATUS_BATCH, ...opts.statusBatch });
    this.newSessionId = opts.newSessionId ?? (() => randomBytes(12).toString('hex'));
    this.networkStates = opts.networks
      ? new NetworkStatePublisher({
          nc: opts.nc,
          subjects: opts.subjects,
          source: opts.networks,
          log: this.log.child({ part: 'network-state' }),
          ...(opts.networkBatchMs === undefined ? {} : { batchMs: opts.networkBatchMs }),
        })
      : undefined;
  }

  /** Serves the agents; nodes the store calls READY get one grace period to open a session. */
  async start(): Promise<void> {
    if (this.served.length > 0) return;
    this.halted = false;
    const now = Date.now();
    for (const nodeId of await this.opts.backend.readyNodes()) {
      if (!this.sessions.ofNode(nodeId)) this.tracker.heartbeat(nodeId, now);
    }
    this.timer.arm(this.tracker.nextDeadline());
    const { nc, subjects } = this.opts;
    const d = subjects.dispatcher;
    const logger = this.log;
    this.served = [
      serve(nc, d.sessionAny, OpenSessionRequest, OpenSessionResponse, (req, ctx) => this.openSession(lastSubjectToken(ctx.subject), req), { logger }),
      serve(nc, d.heartbeatAny, HeartbeatRequest, HeartbeatResponse, (req, ctx) => this.heartbeat(lastSubjectToken(ctx.subject), req), { logger }),
      serve(nc, d.assignmentsAny, AssignmentsResyncRequest, Assignments, (req, ctx) => this.resync(lastSubjectToken(ctx.subject), req), { logger }),
      serve(nc, d.statusAny, TaskStatusBatch, TaskStatusAck, (req, ctx) => this.taskStatus(lastSubjectToken(ctx.subject), req), { logger }),
    ];
    if (this.networkStates) {
      this.networkStates.start();
      this.served.push(serve(nc, d.networksAny, NetworkStateRequest, NodeNetworkState, (req, ctx) => this.networkState(lastSubjectToken(ctx.subject), req), { logger }));
    }
    this.log.info('dispatcher started');
  }

  /** Stops serving, writes the statuses already accepted, and ends every session. */
  async stop(): Promise<void> {
    // Deciding that nodes are down ends first, before anything that can wait: a dispatcher whose
    // manager just lost the leadership (often to a cut-off network) must not go on expiring nodes
    // while its subscriptions drain.
    this.halted = true;
    this.timer.cancel();
    const served = this.served;
    this.served = [];
    await Promise.all(served.map((s) => s.stop()));
    await this.statuses.flush();
    this.networkStates?.stop();
    for (const nodeId of [...this.links.keys()]) this.endSession(nodeId);
    this.refusals.stop();
    this.log.info('dispatcher stopped');
  }

  /** Gossip declared the node dead: mark it down now instead of waiting out the grace. */
  async expireNode(nodeId: string): Promise<void> {
    if (this.halted) return;
    if (this.tracker.expireNow(nodeId)) await this.markDown(nodeId, 'node declared dead by gossip');
  }

  /** When the node's live session opened (ms since the epoch), if it has one. */
  sessionOpenedAt(nodeId: string): number | undefined {
    return this.sessions.ofNode(nodeId)?.openedAt;
  }

  /** The live session of a node, if any (for the control API and tests). */
  sessionOf(nodeId: string): string | undefined {
    return this.sessions.ofNode(nodeId)?.id;
  }

  private async openSession(nodeId: string, req: OpenSessionRequest): Promise<OpenSessionResponse> {
    if (req.nodeId !== nodeId) {
      throw new BusRequestError(
        BusErrorCode.INVALID_ARGUMENT,
        `opening a session: the request names node ${JSON.stringify(req.nodeId)} but was sent by node ${nodeId}`,
      );
    }
    const sessionId = this.newSessionId();
    const { replaced } = this.sessions.open(nodeId, sessionId);
    if (replaced) this.dropLink(nodeId);
    const log = this.log.child({ nodeId, sessionId });
    this.beat(nodeId);
    try {
      await this.opts.backend.markNodeReady(nodeId, req.description);
    } catch (err) {
      if (this.sessions.find(nodeId, sessionId)) this.endSession(nodeId);
      this.tracker.forget(nodeId);
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `opening a session for node ${nodeId}: marking it ready failed: ${errMessage(err)}`);
    }
    const link: NodeLink = { sessionId, stream: new AssignmentStream(sessionId), watch: undefined, early: [] };
    this.links.set(nodeId, link);
    link.watch = this.opts.backend.watchAssignments(nodeId, (change) => this.onAssignmentChange(nodeId, link, change));
    try {
      const tasks = await this.opts.backend.listTasksForNode(nodeId);
      if (this.links.get(nodeId) !== link) throw sessionNotFound(nodeId, sessionId); // replaced meanwhile
      this.publish(nodeId, link.stream.full(tasks));
      for (const change of link.early ?? []) this.sendChange(nodeId, link, change);
      link.early = undefined;
      this.networkStates?.sessionOpened(nodeId, sessionId);
    } catch (err) {
      if (this.links.get(nodeId) === link) this.endSession(nodeId);
      if (err instanceof BusRequestError) throw err;
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `opening a session for node ${nodeId}: listing its tasks failed: ${errMessage(err)}`);
    }
    log.info({ tasks: link.stream.resync().updated.length }, 'session opened');
    return { sessionId, heartbeatPeriodMs: this.tracker.period };
  }

  private heartbeat(nodeId: string, req: HeartbeatRequest): HeartbeatResponse {
    if (!this.sessions.find(nodeId, req.sessionId)) throw sessionNotFound(nodeId, req.sessionId);
    this.beat(nodeId);
    return {
      periodMs: this.tracker.period,
      assignmentsSequence: this.links.get(nodeId)?.stream.lastSequence ?? 0,
      networksSequence: this.networkStates?.sequenceOf(nodeId, req.sessionId) ?? 0,
      managerAddrs: this.opts.backend.managerAddrs?.() ?? [],
    };
  }

  private resync(nodeId: string, req: AssignmentsResyncRequest): Assignments {
    const link = this.links.get(nodeId);
    if (!link || link.sessionId !== req.sessionId) throw sessionNotFound(nodeId, req.sessionId);
    if (!link.stream.isStarted) {
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `node ${nodeId}: the full set of assignments is still being listed`);
    }
    this.log.info({ nodeId, sessionId: req.sessionId }, 'agent asked for its full set of assignments again');
    return link.stream.resync();
  }

  private networkState(nodeId: string, req: NetworkStateRequest): NodeNetworkState {
    const state = this.networkStates?.current(nodeId, req.sessionId);
    if (!state) throw sessionNotFound(nodeId, req.sessionId);
    return state;
  }

  private async taskStatus(nodeId: string, req: TaskStatusBatch): Promise<TaskStatusAck> {
    const link = this.links.get(nodeId);
    if (!link || link.sessionId !== req.sessionId) throw sessionNotFound(nodeId, req.sessionId);
    const writes: TaskStatusWrite[] = [];
    const rejected: TaskStatusRejection[] = [];
    for (const u of req.updates) {
      if (!u.status) rejected.push({ taskId: u.taskId, reason: 'the update has no status' });
      else if (!link.stream.isAssigned(u.taskId)) rejected.push({ taskId: u.taskId, reason: `task is not assigned to node ${nodeId}` });
      else writes.push({ nodeId, taskId: u.taskId, status: u.status });
    }
    if (rejected.length > 0) this.refusals.refuse('status-not-held', nodeId, `${rejected.length} updates, e.g. task ${rejected[0]!.taskId}: ${rejected[0]!.reason}`);
    try {
      await this.statuses.submit(writes);
    } catch (err) {
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `writing ${writes.length} task statuses of node ${nodeId}: ${errMessage(err)}`);
    }
    return { rejected };
  }

  private onAssignmentChange(nodeId: string, link: NodeLink, change: AssignmentChange): void {
    if (this.links.get(nodeId) !== link) return;
    if (link.early) link.early.push(change);
    else this.sendChange(nodeId, link, change);
  }

  private sendChange(nodeId: string, link: NodeLink, change: AssignmentChange): void {
    const msg = link.stream.change(change);
    if (msg) this.publish(nodeId, msg);
  }

  private publish(nodeId: string, msg: Assignments): void {
    this.opts.nc.publish(this.opts.subjects.node.assignments(nodeId), encodeMessage(Assignments, msg));
  }

  private beat(nodeId: string): void {
    const { periodMs } = this.opts.backend.heartbeatSettings();
    if (periodMs !== this.tracker.period) this.tracker.setPeriod(periodMs);
    this.tracker.heartbeat(nodeId, Date.now());
    this.timer.arm(this.tracker.nextDeadline());
  }

  private expireSilentNodes(): void {
    if (this.halted) return;
    for (const nodeId of this.tracker.expire(Date.now())) {
      void this.markDown(nodeId, `heartbeat failure: no heartbeat for ${this.tracker.graceMs} ms`);
    }
    this.timer.arm(this.tracker.nextDeadline());
  }

  private async markDown(nodeId: string, message: string): Promise<void> {
    const sessionId = this.sessions.ofNode(nodeId)?.id;
    this.endSession(nodeId);
    this.log.warn({ nodeId, sessionId, reason: message }, 'marking node down');
    try {
      await this.opts.backend.markNodeDown(nodeId, message);
    } catch (err) {
      this.log.error({ err, nodeId }, 'marking node down failed');
    }
  }

  private endSession(nodeId: string): void {
    this.sessions.close(nodeId);
    this.dropLink(nodeId);
  }

  private dropLink(nodeId: string): void {
    this.networkStates?.sessionClosed(nodeId);
    this.links.get(nodeId)?.watch?.stop();
    this.links.delete(nodeId);
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
