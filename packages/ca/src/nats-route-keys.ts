import { NodeRole, type Node, type NodeRouteKey } from '@flotilla/api';
import { isDenied } from './deny.js';
import { isPublicKeySha256 } from './public-key.js';
import type { CertRole } from './roles.js';

/** At most this many keys per node (newest first): in practice two are unexpired at a time; a test knob renewing every few seconds makes more. */
export const MAX_MANAGER_KEYS = 32;

export interface NatsRouteKeyOptions {
  /** Keys of certificates that expired by then are left out. */
  nowMs: number;
  /** Removed nodes: never pinned, whatever their Node object still says. */
  deniedNodeIds?: Iterable<string>;
  /**
   * Nodes still Raft voters although their Node object no longer says manager (or asks for the
   * worker role): a demotion or a manager's `swarm leave` whose removal from the voters has not
   * been applied yet. Their manager
   * keys stay pinned until then: cutting their routes earlier could leave the remaining voters
   * unable to commit that very removal (two managers, one leaving).
   */
  votingNodeIds?: Iterable<string>;
  /** This server's own key(s): a server always accepts itself. */
  ownKeys?: Iterable<string>;
}

/**
 * The public keys (hex sha256 of the SubjectPublicKeyInfo) a manager's nats-server accepts routes
 * from: the unexpired manager-certificate keys (NodeTlsInfo.manager_keys) of nodes that are
 * managers not asked to become workers, or still voting, and not denied; plus the server's own. A worker's key, a removed
 * node's, a demoted manager's (once out of the voters) and anything of another cluster are never
 * in it. Sorted, unique. Pure.
 */
export function natsRouteKeys(nodes: Iterable<Node>, options: NatsRouteKeyOptions): string[] {
  const denied = new Set(options.deniedNodeIds ?? []);
  const voting = new Set(options.votingNodeIds ?? []);
  const keys = new Set<string>();
  for (const key of options.ownKeys ?? []) if (isPublicKeySha256(key)) keys.add(key);
  for (const node of nodes) {
    if (isDenied(node.id, denied)) continue;
    // A manager asked to become a worker counts only while it votes: once the leader has removed
    // it (down or not), nothing waits for the store to record it as a worker.
    const managerNow = node.role === NodeRole.NODE_ROLE_MANAGER && node.spec?.desiredRole !== NodeRole.NODE_ROLE_WORKER;
    if (!managerNow && !voting.has(node.id)) continue;
    for (const k of node.tlsInfo?.managerKeys ?? []) {
      if (k.notAfter > options.nowMs && isPublicKeySha256(k.publicKeySha256)) keys.add(k.publicKeySha256);
    }
  }
  return [...keys].sort();
}

/** A certificate's key, its expiry and the role it carries. */
export interface KeyedCertificate {
  publicKeySha256: string;
  notAfterMs: number;
  role: CertRole;
}

/**
 * A node's manager keys after the CA issued it `issued`, the node having renewed with
 * `renewedWith` (undefined on a join): the new key first if it is a manager certificate, then the
 * keys recorded so far and the one renewed with — only if that was a manager certificate too, so a
 * promotion starts afresh (its old worker key never counts) and a demotion keeps its manager keys
 * (pinned while it is still a voter) without adding the worker one. Expired keys drop out; at most
 * MAX_MANAGER_KEYS. Pure.
 */
export function nextManagerKeys(recorded: readonly NodeRouteKey[], issued: KeyedCertificate, renewedWith: KeyedCertificate | undefined, nowMs: number): NodeRouteKey[] {
  const candidates: NodeRouteKey[] = [];
  if (issued.role === NodeRole.NODE_ROLE_MANAGER) candidates.push({ publicKeySha256: issued.publicKeySha256, notAfter: issued.notAfterMs });
  if (renewedWith?.role === NodeRole.NODE_ROLE_MANAGER) {
    candidates.push({ publicKeySha256: renewedWith.publicKeySha256, notAfter: renewedWith.notAfterMs }, ...recorded);
  }
  const seen = new Set<string>();
  const keys: NodeRouteKey[] = [];
  for (const k of candidates) {
    if (k.notAfter <= nowMs || !isPublicKeySha256(k.publicKeySha256) || seen.has(k.publicKeySha256)) continue;
    seen.add(k.publicKeySha256);
    keys.push({ publicKeySha256: k.publicKeySha256, notAfter: k.notAfter });
    if (keys.length === MAX_MANAGER_KEYS) break;
  }
  return keys;
}
