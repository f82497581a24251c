import { createHash } from 'node:crypto';

/**
 * The Raft member id of a manager that joined: derived from its node id, so the joining node and
 * the leader that adds it as a voter agree on it without another message in the join reply.
 * Never 0 (raft's "none"), always a positive 31-bit integer like the ids `swarm init` draws.
 */
export function raftIdForNode(nodeId: string): number {
  const n = createHash('sha256').update(nodeId).digest().readUInt32BE(0) & 0x7fffffff;
  return n === 0 ? 1 : n;
}
