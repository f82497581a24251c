import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';

/** One label selector, `key=value`, as the Engine's filters take it. */
export type LabelSelector = string;

interface ContainerEvent {
  readonly action: string;
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What is known of the containers carrying one label, kept current from Engine events. */
export interface LabelView {
  readonly existing: ReadonlySet<string>;
  readonly running: ReadonlySet<string>;
}

export interface ArmedWait {
  /** The time (performance.now) at which the condition came to hold. */
  readonly reached: Promise<number>;
  readonly view: LabelView;
  cancel(): void;
}

function matches(labels: Readonly<Record<string, string>>, selector: LabelSelector): boolean {
  const eq = selector.indexOf('=');
  return labels[selector.slice(0, eq)] === selector.slice(eq + 1);
}

/**
 * Follows the Engine's container event stream, so a wait ends at the event that completes
 * the condition rather than at the next tick of a poll (polling 100 containers every few
 * milliseconds would also load the 2 cores the systems under test share).
 */
export class EngineWatch {
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private buffered = '';

  private constructor(private readonly docker: Docker, private readonly stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static async open(docker: Docker): Promise<EngineWatch> {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['create', 'start', 'die', 'destroy'] },
    })) as unknown as Readable;
    return new EngineWatch(docker, stream);
  }

  close(): void {
    this.stream.destroy();
  }

  /**
   * Lists the containers labelled `selector`, then follows their events; `reached` resolves
   * with the time (performance.now) of the event after which `done` holds. Arm it BEFORE the
   * action it times, so nothing the action causes is missed.
   */
  async arm(selector: LabelSelector, done: (view: LabelView) => boolean, deadlineMs: number, what: string): Promise<ArmedWait> {
    const existing = new Set<string>();
    const running = new Set<string>();
    const pending: ContainerEvent[] = [];
    const early = (e: ContainerEvent) => pending.push(e);
    this.listeners.add(early);
    try {
      for (const c of await this.docker.listContainers({ all: true, filters: { label: [selector] } })) {
        existing.add(c.Id);
        if (c.State === 'running') running.add(c.Id);
      }
    } finally {
      this.listeners.delete(early);
    }
    const view: LabelView = { existing, running };
    const apply = (e: ContainerEvent): void => {
      if (!matches(e.labels, selector)) return;
      if (e.action === 'create') existing.add(e.id);
      else if (e.action === 'start') {
        existing.add(e.id);
        running.add(e.id);
      } else if (e.action === 'die') running.delete(e.id);
      else if (e.action === 'destroy') {
        existing.delete(e.id);
        running.delete(e.id);
      }
    };
    for (const e of pending) apply(e);
    let listener: ((e: ContainerEvent) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (listener) this.listeners.delete(listener);
      if (timer) clearTimeout(timer);
    };
    const reached = new Promise<number>((resolve, reject) => {
      timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out after ${deadlineMs} ms waiting for ${what} (${running.size} running, ${existing.size} existing)`));
      }, deadlineMs);
      listener = (e: ContainerEvent) => {
        apply(e);
        if (!done(view)) return;
        const at = performance.now();
        stop();
        resolve(at);
      };
      this.listeners.add(listener);
    });
    // A wait abandoned because the action failed must not surface as an unhandled rejection.
    reached.catch(() => undefined);
    return { reached, view, cancel: stop };
  }

  private onData(chunk: Buffer): void {
    this.buffered += chunk.toString();
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    const raw = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    if (!raw.Action || !raw.Actor?.ID) return;
    const event: ContainerEvent = { action: raw.Action, id: raw.Actor.ID, labels: raw.Actor.Attributes ?? {} };
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** Force-removes every container with the label, in parallel; returns how many. */
export async function removeContainersByLabel(docker: Docker, selector: LabelSelector): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [selector] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((err: { statusCode?: number }) => {
          // Already gone (the system under test removed it meanwhile) is what we wanted.
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
  return list.length;
}
