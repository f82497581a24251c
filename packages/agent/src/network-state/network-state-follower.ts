// Edge: follows this node's NodeNetworkState from the dispatcher. States are whole; one is
// applied when it belongs to the current session and is newer than the one applied. At each
// new session (and when asked) the current state is requested, since what was published
// before the agent knew its session id was dropped.
import { NetworkStateRequest, NodeNetworkState } from '@flotilla/api';
import { BusErrorCode, decodeMessage, isBusRequestError, request, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';

export interface NetworkStateFollowerOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  log: Logger;
  onState(state: NodeNetworkState): void;
  /** The dispatcher no longer knows the session. */
  sessionRejected?(sessionId: string): void;
  requestTimeoutMs?: number;
}

/** Pure ordering rule: apply `next` over `applied` (undefined: none yet) in session `session`? */
export function isNewerState(next: Pick<NodeNetworkState, 'sessionId' | 'sequence'>, applied: Pick<NodeNetworkState, 'sessionId' | 'sequence'> | undefined, session: string | undefined): boolean {
  if (session === undefined || next.sessionId !== session) return false;
  return applied === undefined || applied.sessionId !== session || next.sequence > applied.sequence;
}

export class NetworkStateFollower {
  private session: string | undefined;
  private applied: NodeNetworkState | undefined;
  private unsubscribe: (() => void) | undefined;
  private asking: Promise<void> | undefined;

  constructor(private readonly opts: NetworkStateFollowerOptions) {}

  /** Subscribes; call before the session opens so nothing published after it is missed. */
  start(): void {
    if (this.unsubscribe) return;
    const subject = this.opts.subjects.node.networks(this.opts.nodeId);
    const sub = this.opts.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.opts.log.error({ err }, 'network state subscription failed');
          return;
        }
        try {
          this.offer(decodeMessage(NodeNetworkState, msg.data, msg.subject));
        } catch (e) {
          this.opts.log.error({ err: e }, 'dropping a network state message');
        }
      },
    });
    this.unsubscribe = () => sub.unsubscribe();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.session = undefined;
  }

  /** The last state applied (of any session). */
  get current(): NodeNetworkState | undefined {
    return this.applied;
  }

  sessionChanged(sessionId: string): void {
    this.session = sessionId;
    void this.ask();
  }

  /**
   * A heartbeat said which sequence the dispatcher last published in the session: a lower one
   * applied here means a state was lost (and no later one came), so it is asked for.
   */
  heartbeat(sessionId: string, publishedSequence: number): void {
    if (sessionId !== this.session || publishedSequence === 0) return;
    const applied = this.applied?.sessionId === sessionId ? this.applied.sequence : 0;
    if (applied < publishedSequence) void this.ask();
  }

  /** Asks the dispatcher for the current state (one request at a time). */
  ask(): Promise<void> {
    const sessionId = this.session;
    if (!sessionId || !this.unsubscribe) return Promise.resolve();
    this.asking ??= (async () => {
      try {
        const state = await request(this.opts.nc, this.opts.subjects.dispatcher.networks(this.opts.nodeId), NetworkStateRequest, { sessionId }, NodeNetworkState, {
          timeoutMs: this.opts.requestTimeoutMs ?? 5_000,
        });
        this.offer(state);
      } catch (err) {
        if (isBusRequestError(err, BusErrorCode.NOT_FOUND)) this.opts.sessionRejected?.(sessionId);
        else this.opts.log.warn({ err, sessionId }, 'asking the dispatcher for the network state failed; the next published state will do');
      } finally {
        this.asking = undefined;
      }
    })();
    return this.asking;
  }

  private offer(state: NodeNetworkState): void {
    if (!this.unsubscribe || !isNewerState(state, this.applied, this.session)) return;
    this.applied = state;
    this.opts.log.info({ sessionId: state.sessionId, sequence: state.sequence, networks: state.networks.map((n) => n.network?.id), services: state.services.length }, 'network state');
    this.opts.onState(state);
  }
}
