import { NodeRole, type Node } from '@flotilla/api';
import { isDenied } from './deny.js';
import { isPublicKeySha256 } from './public-key.js';

export interface NatsRouteKeyOptions {
  /** Removed nodes: never pinned, whatever their Node object still says. */
  deniedNodeIds?: Iterable<string>;
  /**
   * Nodes still Raft voters although their Node object no longer says manager: a demotion or a
   * manager's `swarm leave` whose removal from the voters has not been applied yet. Their manager
   * keys stay pinned until then: cutting their routes earlier could leave the remaining voters
   * unable to commit that very removal (two managers, one leaving).
   */
  votingNodeIds?: Iterable<string>;
  /** This server's own key(s): a server always accepts itself (nats-server dials its own advertised route too). */
  ownKeys?: Iterable<string>;
}

/**
 * The public keys (hex sha256 of the SubjectPublicKeyInfo) a manager's nats-server accepts routes
 * from: the keys of manager certificates held by nodes that are managers (or still voting), not
 * denied — the current certificate's key and the one the node renewed with, each only if that
 * certificate carried the manager role. A worker's key, a removed node's, a demoted manager's
 * (once out of the voters) and anything of another cluster are never in it. Sorted, unique. Pure.
 */
export function natsRouteKeys(nodes: Iterable<Node>, options: NatsRouteKeyOptions = {}): string[] {
  const denied = new Set(options.deniedNodeIds ?? []);
  const voting = new Set(options.votingNodeIds ?? []);
  const keys = new Set<string>();
  for (const key of options.ownKeys ?? []) if (isPublicKeySha256(key)) keys.add(key);
  for (const node of nodes) {
    if (isDenied(node.id, denied)) continue;
    if (node.role !== NodeRole.NODE_ROLE_MANAGER && !voting.has(node.id)) continue;
    const tls = node.tlsInfo;
    if (!tls) continue;
    if (tls.certRole === NodeRole.NODE_ROLE_MANAGER && isPublicKeySha256(tls.publicKeySha256)) keys.add(tls.publicKeySha256);
    if (tls.previousCertRole === NodeRole.NODE_ROLE_MANAGER && isPublicKeySha256(tls.previousPublicKeySha256)) keys.add(tls.previousPublicKeySha256);
  }
  return [...keys].sort();
}
