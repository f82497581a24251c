// The agent's networking: follows the dispatcher's NodeNetworkState and keeps the overlay
// networks of this node's task containers plumbed. Other consumers of the state (service
// load balancing and DNS) subscribe with onState.
import type { NodeNetworkState, Task } from '@flotilla/api';
import type { BusConnection, ClusterSubjects, Logger } from '@flotilla/bus';
import type Docker from 'dockerode';
import type { CommandRunner } from '../network/command-runner.js';
import { localRunner } from '../network/command-runner.js';
import { OverlayNetworks } from '../network/overlay-networks.js';
import type { TaskRecord } from '../tasks/task-record.js';
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

  constructor(opts: NodeNetworkingOptions) {
    const log = opts.log.child({ part: 'networking' });
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
      onState: (state) => {
        this.tasks.setState(state);
        for (const l of this.listeners) {
          try {
            l(state);
          } catch (err) {
            log.error({ err }, 'a network state listener failed');
          }
        }
      },
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
    this.tasks.tasksChanged(records);
  }

  /** Calls `listener` with every state applied from now on (and the current one, if any). */
  onState(listener: (state: NodeNetworkState) => void): () => void {
    this.listeners.add(listener);
    const now = this.follower.current;
    if (now) listener(now);
    return () => this.listeners.delete(listener);
  }

  get state(): NodeNetworkState | undefined {
    return this.follower.current;
  }

  prepare(task: Task): Promise<ContainerNetworking | undefined> {
    return this.tasks.prepare(task);
  }

  attach(containerId: string, networking: ContainerNetworking): Promise<void> {
    return this.tasks.attach(containerId, networking);
  }
}
