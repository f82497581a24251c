import type { Logger } from '@flotilla/bus';
import type Docker from 'dockerode';
import { backoffMs, Sleeper } from '../session/abortable-sleep.js';
import type { ContainerHealth } from '../tasks/task-record.js';
import { LABEL_NODE_ID } from './labels.js';

export interface HealthEventsOptions {
  docker: Docker;
  nodeId: string;
  log: Logger;
  /** A task container of this node reported a health status. */
  onHealth(containerId: string, health: ContainerHealth): void;
  /**
   * The stream was re-opened after a break: statuses sent meanwhile are lost, so whoever
   * waits for one must ask the engine (inspect) instead.
   */
  onResubscribed(): void;
  /** First wait before re-opening a broken stream; doubles up to 5 s. */
  retryMs?: number;
}

/**
 * The engine's `health_status` events for this node's task containers (filtered by the
 * node label on the engine's side), one stream for all of them, re-opened after a break.
 */
export class HealthEvents {
  private readonly sleeper = new Sleeper();
  private stopped = false;
  private stream: NodeJS.ReadableStream | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: HealthEventsOptions) {}

  /** Resolves once the engine has subscribed us: no status after this is missed. */
  async start(): Promise<void> {
    if (this.loop) throw new Error(`health events of node ${this.opts.nodeId} are already followed`);
    const first = await this.open();
    this.loop = this.follow(first);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    this.destroyStream();
    await this.loop;
  }

  private async open(): Promise<NodeJS.ReadableStream> {
    const stream = await this.opts.docker.getEvents({
      filters: { type: ['container'], event: ['health_status'], label: [`${LABEL_NODE_ID}=${this.opts.nodeId}`] },
    });
    this.stream = stream;
    if (this.stopped) this.destroyStream();
    return stream;
  }

  private async follow(first: NodeJS.ReadableStream): Promise<void> {
    let stream: NodeJS.ReadableStream | undefined = first;
    let failures = 0;
    while (!this.stopped) {
      if (stream) {
        await this.read(stream);
        if (this.stopped) return;
        this.opts.log.warn({ nodeId: this.opts.nodeId }, 'the engine closed the health events stream; re-opening it');
      }
      stream = undefined;
      await this.sleeper.sleep(backoffMs(failures, this.opts.retryMs ?? 250));
      if (this.stopped) return;
      try {
        stream = await this.open();
        if (this.stopped) return;
        failures = 0;
        this.opts.onResubscribed();
      } catch (err) {
        failures++;
        this.opts.log.warn({ err, nodeId: this.opts.nodeId, failures }, 're-opening the health events stream failed');
      }
    }
  }

  /** Reads newline-separated JSON events until the stream ends or breaks. */
  private read(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer | string) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) this.handle(line);
        }
      });
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
      stream.on('error', (err: unknown) => {
        if (!this.stopped) this.opts.log.warn({ err, nodeId: this.opts.nodeId }, 'the health events stream broke');
        resolve();
      });
    });
  }

  private handle(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      this.opts.log.warn({ err, nodeId: this.opts.nodeId, line }, 'dropping an engine event that is not JSON');
      return;
    }
    const event = parseHealthEvent(parsed);
    if (event) this.opts.onHealth(event.containerId, event.health);
  }

  private destroyStream(): void {
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    s?.destroy?.();
  }
}

/** `{"Action":"health_status: healthy","Actor":{"ID":…}}` → container id and status; else undefined. */
export function parseHealthEvent(e: unknown): { containerId: string; health: ContainerHealth } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { Action, Actor, id } = e as { Action?: unknown; Actor?: { ID?: unknown }; id?: unknown };
  if (typeof Action !== 'string' || !Action.startsWith('health_status:')) return undefined;
  const health = Action.slice('health_status:'.length).trim();
  if (health !== 'starting' && health !== 'healthy' && health !== 'unhealthy') return undefined;
  const containerId = typeof Actor?.ID === 'string' ? Actor.ID : typeof id === 'string' ? id : undefined;
  return containerId ? { containerId, health } : undefined;
}
