// Base of the manager services that must run on the Raft leader only
// (scheduler, orchestrator, allocator, ...). Leadership is an input the owner
// passes in with setLeader(); the service never guesses it. The subclass's
// onActivate()/onDeactivate() run only while the service is started AND
// leader, one at a time, never overlapping.
import type { Logger } from 'pino';
import { silentLogger } from './log.js';

export class ServiceTransitionError extends Error {
  constructor(service: string, transition: 'activate' | 'deactivate', cause: unknown) {
    super(
      `${transition === 'activate' ? 'activating' : 'deactivating'} service ${service}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ServiceTransitionError';
  }
}

export abstract class LeaderGatedService {
  private started = false;
  private leader = false;
  private active = false;
  private queue: Promise<void> = Promise.resolve();
  protected readonly log: Logger;

  constructor(
    readonly serviceName: string,
    logger?: Logger,
  ) {
    this.log = (logger ?? silentLogger()).child({ service: serviceName });
  }

  /** Runs the service's work while started and leader. Throwing leaves it inactive; the next input retries. */
  protected abstract onActivate(): Promise<void>;
  /** Releases everything onActivate set up. Throwing still counts as deactivated. */
  protected abstract onDeactivate(): Promise<void>;

  /**
   * The promises returned by start/stop/setLeader settle once the service has
   * reached the state the inputs ask for. A hook must not await them: it
   * would wait for itself.
   */
  start(): Promise<void> {
    this.started = true;
    return this.settle();
  }

  stop(): Promise<void> {
    this.started = false;
    return this.settle();
  }

  setLeader(isLeader: boolean): Promise<void> {
    this.leader = isLeader;
    return this.settle();
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** True while onActivate has completed and onDeactivate has not begun. */
  get isActive(): boolean {
    return this.active;
  }

  private settle(): Promise<void> {
    const run = this.queue.then(() => this.reconcile());
    this.queue = run.catch(() => undefined);
    return run;
  }

  // Inputs are read again after every hook, so inputs that changed while a
  // hook ran are honoured, and changes that end where they began cost nothing.
  private async reconcile(): Promise<void> {
    while ((this.started && this.leader) !== this.active) await this.step();
  }

  private async step(): Promise<void> {
    if (!this.active) {
      this.log.info('activating');
      try {
        await this.onActivate();
      } catch (err) {
        this.log.error({ err }, 'activation failed; staying inactive');
        throw new ServiceTransitionError(this.serviceName, 'activate', err);
      }
      this.active = true;
      this.log.info('active');
    } else {
      this.log.info('deactivating');
      this.active = false;
      try {
        await this.onDeactivate();
      } catch (err) {
        this.log.error({ err }, 'deactivation failed');
        throw new ServiceTransitionError(this.serviceName, 'deactivate', err);
      }
      this.log.info('inactive');
    }
  }
}
