// Logs that a remote party cannot flood. Whatever a stranger can make us refuse (a gossip
// frame no key opens, a TLS handshake nats-server rejects, a join with a bad token, a
// malformed request) is counted per cause and written as one summary line per interval
// per cause, never as one line per event: a flood then costs a few lines, not the disk.
import type { Logger } from 'pino';

export interface RefusalLogOptions {
  log: Logger;
  /** Who refuses: the first word of every line, e.g. "gossip", "nats-server", "node CA". */
  what: string;
  /** What is refused, plural, e.g. "frames" (default "requests"); `nouns` overrides it per cause. */
  noun?: Noun;
  nouns?: Readonly<Record<string, Noun>>;
  /** The verb of every line (default "refused"). */
  verb?: string;
  /** What `from` names, singular and plural (default address, addresses; e.g. subject, subjects). */
  sources?: readonly [string, string];
  /** Length of a summary interval (default 30 s). */
  intervalMs?: number;
  /** The clock (default Date.now); tests pass their own with `timer: false`. */
  now?: () => number;
  /** false: no timer of its own; the owner calls `tick()` (tests with a clock of their own). */
  timer?: boolean;
  /** Distinct addresses remembered per cause and interval (default 256): bounds memory under a flood. */
  maxSources?: number;
  /** Addresses named in a line (default 3). */
  examples?: number;
  level?: 'info' | 'warn';
}

/** A plural ending in "s" ("frames"), or [singular, plural] ("connection closed", "connections closed"). */
export type Noun = string | readonly [string, string];

export interface RefusalCount {
  cause: string;
  count: number;
}

/** A cause with a line in the current interval: further refusals of it wait for the summary. */
interface CauseWindow {
  /** Refusals since the last line about this cause. */
  pending: number;
  /** Addresses those came from (at most maxSources), in arrival order. */
  sources: Set<string>;
  /** More distinct addresses than `sources` could hold. */
  moreSources: boolean;
  lastDetail: string | undefined;
}

const DEFAULT_INTERVAL_MS = 30_000;

/**
 * Counts refusals per cause. The first refusal of a cause after a quiet interval is logged at
 * once (an operator sees the first sign of trouble); the rest are summed up in one line per
 * interval per cause ("gossip: refused 1234 frames in the last 30 s (cause=bad-key, from 3
 * addresses, e.g. 10.0.0.5, 10.0.0.6, 10.0.0.7)"). Totals since start are kept for `info`.
 * A cause must be a fixed word chosen by the caller, never text from the remote party: it is a
 * map key, and memory would grow with it.
 */
export class RefusalLog {
  private readonly windows = new Map<string, CauseWindow>();
  private readonly totals = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private windowStart: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RefusalLogOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
    this.windowStart = this.now();
  }

  /** Counts one refusal of `cause` from `from` (an address without port, a subject: see `sources`). */
  refuse(cause: string, from?: string, detail?: string): void {
    // Both may carry what the remote party chose (a name in a certificate, an error text).
    from = clip(from, 64);
    detail = clip(detail, 200);
    this.totals.set(cause, (this.totals.get(cause) ?? 0) + 1);
    let w = this.windows.get(cause);
    if (!w) {
      // No interval runs while no cause is active: this refusal opens one.
      if (this.windows.size === 0) this.windowStart = this.now();
      w = { pending: 0, sources: new Set(), moreSources: false, lastDetail: undefined };
      this.windows.set(cause, w);
      this.write({ cause, refused: 1, from, detail }, `${this.opts.what}: ${this.verb} ${this.singular(cause)} (cause=${cause}${from ? `, from ${from}` : ''}${detail ? `: ${detail}` : ''}); more are summed up every ${seconds(this.intervalMs)} s`);
      this.arm();
      return;
    }
    w.pending++;
    if (from !== undefined && !w.sources.has(from)) {
      if (w.sources.size < (this.opts.maxSources ?? 256)) w.sources.add(from);
      else w.moreSources = true;
    }
    if (detail !== undefined) w.lastDetail = detail;
  }

  /** Total refusals of `cause` since start. */
  count(cause: string): number {
    return this.totals.get(cause) ?? 0;
  }

  /** Totals since start, by cause (sorted). */
  counts(): RefusalCount[] {
    return [...this.totals].map(([cause, count]) => ({ cause, count })).sort((a, b) => a.cause.localeCompare(b.cause));
  }

  /** Writes the summaries due at `now()`: called by the timer, or by tests driving the clock. */
  tick(): void {
    if (this.now() - this.windowStart < this.intervalMs) return;
    this.flush();
  }

  /** Writes what is pending and disarms the timer (the owner stops); a later refusal starts afresh. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    this.windows.clear();
  }

  private flush(): void {
    const elapsed = this.now() - this.windowStart;
    for (const [cause, w] of this.windows) {
      if (w.pending === 0) {
        // A quiet interval: the next refusal of this cause is news again.
        this.windows.delete(cause);
        continue;
      }
      const examples = [...w.sources].slice(0, this.opts.examples ?? 3);
      const sourceCount = `${w.sources.size}${w.moreSources ? '+' : ''}`;
      const [one, many] = this.opts.sources ?? ['address', 'addresses'];
      const fromText = w.sources.size === 0 ? '' : `, from ${sourceCount} ${w.sources.size === 1 && !w.moreSources ? one : many}, e.g. ${examples.join(', ')}`;
      this.write(
        { cause, refused: w.pending, sources: w.sources.size, moreSources: w.moreSources || undefined, examples, detail: w.lastDetail, intervalMs: elapsed },
        `${this.opts.what}: ${this.verb} ${w.pending} ${w.pending === 1 ? this.singularNoun(cause) : this.plural(cause)} in the last ${seconds(elapsed)} s (cause=${cause}${fromText})`,
      );
      w.pending = 0;
      w.sources.clear();
      w.moreSources = false;
      w.lastDetail = undefined;
    }
    this.windowStart = this.now();
  }

  private arm(): void {
    if (this.opts.timer === false || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
      if (this.windows.size > 0) this.arm();
    }, this.intervalMs);
    this.timer.unref();
  }

  private write(fields: Record<string, unknown>, msg: string): void {
    this.opts.log[this.opts.level ?? 'warn'](fields, msg);
  }

  private get verb(): string {
    return this.opts.verb ?? 'refused';
  }

  private noun(cause: string): Noun {
    return this.opts.nouns?.[cause] ?? this.opts.noun ?? 'requests';
  }

  private plural(cause: string): string {
    const noun = this.noun(cause);
    return typeof noun === 'string' ? noun : noun[1];
  }

  private singularNoun(cause: string): string {
    const noun = this.noun(cause);
    if (typeof noun !== 'string') return noun[0];
    return noun.endsWith('s') ? noun.slice(0, -1) : noun;
  }

  private singular(cause: string): string {
    return `a ${this.singularNoun(cause)}`;
  }
}

function clip(text: string | undefined, max: number): string | undefined {
  return text === undefined || text.length <= max ? text : `${text.slice(0, max)}…`;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 1000));
}
