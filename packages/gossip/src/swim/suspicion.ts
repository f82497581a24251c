import type { SwimConfig } from './config.js';

/**
 * Lifeguard's suspicion timer. It starts long (max) so that a member whose own
 * processing is slow does not kill healthy peers on its own word, and shrinks towards
 * min as independent members confirm the suspicion: after c of k wanted confirmations
 * the timeout is max − (max − min)·log(c+1)/log(k+1).
 */
export class Suspicion {
  private readonly confirmedBy = new Set<string>();

  constructor(
    readonly accuser: string,
    readonly startedAt: number,
    readonly minMs: number,
    readonly maxMs: number,
    readonly wanted: number,
  ) {}

  get confirmations(): number {
    return this.confirmedBy.size;
  }

  /** Returns true when `from` is a new, independent accuser (worth re-gossiping). */
  confirm(from: string): boolean {
    if (from === this.accuser || this.confirmedBy.has(from) || this.confirmedBy.size >= this.wanted) return false;
    this.confirmedBy.add(from);
    return true;
  }

  deadline(): number {
    if (this.wanted < 1) return this.startedAt + this.minMs;
    const fraction = Math.log(this.confirmedBy.size + 1) / Math.log(this.wanted + 1);
    const timeout = Math.max(this.minMs, Math.floor(this.maxMs - fraction * (this.maxMs - this.minMs)));
    return this.startedAt + timeout;
  }
}

/** Timeout bounds for a cluster of `liveMembers`: they grow with log10 N. */
export function suspicionBounds(config: SwimConfig, liveMembers: number): { minMs: number; maxMs: number } {
  const scale = Math.max(1, Math.log10(Math.max(1, liveMembers)));
  const minMs = Math.round(config.suspicionMult * scale * config.probeIntervalMs);
  return { minMs, maxMs: minMs * config.suspicionMaxTimeoutMult };
}

/** Independent confirmations that bring the timeout down to its minimum. */
export function confirmationsWanted(config: SwimConfig, liveMembers: number): number {
  // Besides the accused and the accuser there are only N−2 members who could confirm.
  return Math.max(0, Math.min(config.suspicionMult - 2, liveMembers - 2));
}
