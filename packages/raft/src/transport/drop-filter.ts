// Partitions at the transport, for tests: a filter sees every message leaving or entering a
// member and may drop it. Real networks lose messages; Raft must not care.
import type { RaftMessage } from '@flotilla/api';

export type Direction = 'out' | 'in';

/** True drops the message. `m.from`/`m.to` name the members; `direction` is as seen by this member. */
export type DropFilter = (m: RaftMessage, direction: Direction) => boolean;

/** Drops everything between this member and `peers`, both ways. */
export function isolateFrom(peers: Iterable<number>): DropFilter {
  const set = new Set(peers);
  return (m, dir) => set.has(dir === 'out' ? m.to : m.from);
}

/** One-way: this member's messages to `peers` are lost, theirs still arrive. */
export function dropOutgoingTo(peers: Iterable<number>): DropFilter {
  const set = new Set(peers);
  return (m, dir) => dir === 'out' && set.has(m.to);
}

/** One-way: messages from `peers` never reach this member; its own still go out. */
export function dropIncomingFrom(peers: Iterable<number>): DropFilter {
  const set = new Set(peers);
  return (m, dir) => dir === 'in' && set.has(m.from);
}
