// The agent's networking: follows the dispatcher's NodeNetworkState, merged with the live
// facts of the gossip network DB when the daemon feeds them (setLiveFacts, see live-facts.ts),
// and keeps the overlay networks of this node's task containers plumbed. Other consumers of the
// merged state (service load balancing and DNS) subscribe with onState.
import type { NodeNetworkState, Task } from '@flotilla/api';
import type { BusConnection, ClusterSubjects, Logger } from '@flotilla/bus';
import type Docker from 'dockerode';
import type { CommandRunner } from '../network/command-runner.js';
import { localRunner } from '../network/command-runner.js';
import { OverlayNetworks } from '../network/overlay-networks.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { mergeLiveFacts, type LiveFacts } from './live-facts.js';
import { NetworkStateFollower } from './network-state-follower.js';
import { TaskNetworks, type ContainerNetworking, type OverlayPlumbing } from './task-networks.js';

export interface OverlayOptions {
  /** This node's advertise address: the VTEP address other nodes send VXLAN to. */
  localAddr: string;
  /** Runs ip/bridge commands where the engine's containers live; this process's namespace by default. */
  run?: CommandRunner;
  /** How long a task waits for its network to be named by the dispatcher. */
  waitMs?: number;
}

export interface NodeNetworkingOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  docker: Docker;
  log: Logger;
  overlay: OverlayOptions;
  /** Replaces the OverlayNetworks made from `overlay` (tests observe the calls this way). */
  plumbing?: OverlayPlumbing;
  sessionRejected?(sessionId: string): void;
  requestTimeoutMs?: number;
}

/** What the task runner asks of the networking around creating a container. */
export interface TaskNetworkHooks {
  prepare(task: Task): Promise<ContainerNetworking | undefined>;
  attach(containerId: string, networking: ContainerNetworking): Promise<void>;
}

export class NodeNetworking implements TaskNetworkHooks {
  readonly follower: NetworkStateFollower;
  readonly tasks: TaskNetworks;
  private readonly listeners = new Set<(state: NodeNetworkState) => void>();
  private readonly taskListeners = new Set<(records: readonly Readonly<TaskRecord>[]) => void>();
  private readonly log: Logger;
  private readonly self: { nodeId: string; addr: string };
  private live: LiveFacts = new Map();
  private merged: NodeNetworkState | undefined;
  private records: readonly Readonly<TaskRecord>[] = [];

  constructor(opts: NodeNetworkingOptions) {
    const log = opts.log.child({ part: 'networking' });
    this.log = log;
    this.self = { nodeId: opts.nodeId, addr: opts.overlay.localAddr };
    const overlays =
      opts.plumbing ?? new OverlayNetworks({ run: opts.overlay.run ?? localRunner, docker: opts.docker, localAddr: opts.overlay.localAddr, logger: opts.log });
    this.tasks = new TaskNetworks({
      overlays,
      log,
      askForState: () => void this.follower.ask(),
      ...(opts.overlay.waitMs === undefined ? {} : { waitMs: opts.overlay.waitMs }),
    });
    this.follower = new NetworkStateFollower({
      nc: opts.nc,
      subjects: opts.subjects,
      nodeId: opts.nodeId,
      log,
      onState: (state) => this.publish(state),
      ...(opts.sessionRejected ? { sessionRejected: opts.sessionRejected } : {}),
      ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
    });
  }

  start(): void {
    this.follower.start();
  }

  stop(): void {
    this.follower.stop();
    this.tasks.close();
  }

  sessionChanged(sessionId: string): void {
    this.follower.sessionChanged(sessionId);
  }

  /** A heartbeat answer: asks for a state the dispatcher sent that never arrived. */
  heartbeat(sessionId: string, networksSequence: number): void {
    this.follower.heartbeat(sessionId, networksSequence);
  }

  tasksChanged(records: Iterable<Readonly<TaskRecord>>): void {
    this.records = [...records];
    this.tasks.tasksChanged(this.records);
    for (const l of this.taskListeners) l(this.records);
  }

  /** Calls `listener` with this node's task records at every change (and now). */
  onTasks(listener: (records: readonly Readonly<TaskRecord>[]) => void): () => void {
    this.taskListeners.add(listener);
    listener(this.records);
    return () => this.taskListeners.delete(listener);
  }

  /**
   * The gossip network DB's live facts for the networks whose group this node is in; the
   * current dispatcher state is merged with them again at once (see mergeLiveFacts).
   */
  setLiveFacts(facts: LiveFacts): void {
    this.live = facts;
    const state = this.follower.current;
    if (state) this.publish(state);
  }

  /** Calls `listener` with every merged state from now on (and the current one, if any). */
  onState(listener: (state: NodeNetworkState) => void): () => void {
    this.listeners.add(listener);
    if (this.merged) listener(this.merged);
    return () => this.listeners.delete(listener);
  }

  /** The dispatcher's latest state merged with the live facts. */
  get state(): NodeNetworkState | undefined {
    return this.merged;
  }

  private publish(dispatcherState: NodeNetworkState): void {
    const state = mergeLiveFacts(dispatcherState, this.live, this.self);
    this.merged = state;
    this.tasks.setState(state);
    for (const l of this.listeners) {
      try {
        l(state);
      } catch (err) {
        this.log.error({ err }, 'a network state listener failed');
      }
    }
  }

  prepare(task: Task): Promise<ContainerNetworking | undefined> {
    return this.tasks.prepare(task);
  }

  attach(containerId: string, networking: ContainerNetworking): Promise<void> {
    return this.tasks.attach(containerId, networking);
  }
}
