// Root CA rotation, the decisions (pure): what the CA issues and hands out at each moment, where
// the rotation stands, which nodes must be told to renew, and when the leader moves it on.
import { certificateDigest } from '../digest.js';
import { issuerDigestIn, splitPemCertificates } from '../pem-bundle.js';
import type { RootCaMaterial } from '../root-ca.js';
import { issuedChain, rotationProgress, trustBundle, type RotationPhase } from './rotation-progress.js';

/** The rotation record as the store keeps it (Cluster.root_ca.rotation), decoded. */
export interface RootRotationRecord {
  newRoot: RootCaMaterial;
  crossSignedPem: string;
  oldRootPem: string;
  /** The new root is current already; nodes are renewing once more to trust it alone. */
  oldRootDropped: boolean;
}

/** What the CA does with a join or renewal now. */
export interface IssuancePlan {
  signWith: RootCaMaterial;
  /** The PEM bundle the node must trust from now on (also what the CA itself accepts). */
  trust: string;
  /** What the node presents: its leaf, plus the cross-signed root while both roots are trusted. */
  chain(leafPem: string): string;
  /** Recorded on the Node so the leader can count progress. */
  issuerDigest: string;
  trustsOldRoot: boolean;
}

/**
 * Outside a rotation (or once the old root is dropped, when `current` is the new root already)
 * the current root signs and is trusted alone; while migrating the new root signs, the chain
 * carries the cross-signed certificate and both roots are trusted.
 */
export function issuancePlan(current: RootCaMaterial, rotation: RootRotationRecord | undefined): IssuancePlan {
  if (rotation === undefined || rotation.oldRootDropped) {
    // Exactly as before rotations existed: the root's own PEM and the bare leaf.
    return { signWith: current, trust: current.certPem, chain: (leaf) => leaf, issuerDigest: current.digest, trustsOldRoot: false };
  }
  return {
    signWith: rotation.newRoot,
    trust: trustBundle('migrating', rotation.oldRootPem, rotation.newRoot.certPem),
    chain: (leaf) => issuedChain('migrating', leaf, rotation.crossSignedPem),
    issuerDigest: rotation.newRoot.digest,
    trustsOldRoot: true,
  };
}

/** A node as the leader counts it: what the CA last issued it (Node.cert_issuer_digest / cert_trusts_old_root). */
export interface NodeCertRecord {
  nodeId: string;
  issuerDigest: string;
  trustsOldRoot: boolean;
}

export type RotationAction =
  /** Nothing to do but wait for the pending nodes. */
  | 'wait'
  /** Every node holds a new-root certificate: make the new root current, rotate the tokens, re-seal the secrets. */
  | 'make-new-root-current'
  /** Every node trusts the new root alone: the rotation record goes. */
  | 'finish';

export interface RotationStatus {
  phase: RotationPhase;
  total: number;
  /** Nodes holding a certificate from the new root ("rotated TLS certificates"). */
  tlsMoved: number;
  /** Nodes trusting the new root alone ("rotated CA certificates"). */
  caMoved: number;
  /** Nodes that must renew in this phase, sorted: they get a "renew now" notice. */
  pending: string[];
  action: RotationAction;
}

/** Where a rotation stands over `nodes` (every node of the cluster, removed ones excluded by the caller). */
export function rotationStatus(nodes: readonly NodeCertRecord[], rotation: RootRotationRecord): RotationStatus {
  const newDigest = rotation.newRoot.digest;
  const tls = rotationProgress(nodes, newDigest, rotation.oldRootDropped);
  const caPending = nodes.filter((n) => n.issuerDigest !== newDigest || n.trustsOldRoot).map((n) => n.nodeId).sort();
  const caMoved = nodes.length - caPending.length;
  if (!rotation.oldRootDropped) {
    return { phase: tls.phase, total: nodes.length, tlsMoved: tls.moved, caMoved, pending: tls.pending, action: tls.pending.length === 0 ? 'make-new-root-current' : 'wait' };
  }
  const phase: RotationPhase = caPending.length === 0 ? 'done' : 'dropping-old-root';
  return { phase, total: nodes.length, tlsMoved: tls.moved, caMoved, pending: caPending, action: caPending.length === 0 ? 'finish' : 'wait' };
}

/** The notice a pending node gets: the root its certificate must come from, and whether to trust it alone. */
export interface RotationNotice {
  rootDigest: string;
  oldRootDropped: boolean;
}

export function rotationNotice(rotation: RootRotationRecord): RotationNotice {
  return { rootDigest: rotation.newRoot.digest, oldRootDropped: rotation.oldRootDropped };
}

/**
 * The node side of a notice: renew unless its certificate already comes from the noticed root
 * and, once the old root is dropped, it trusts that root alone. Notices repeat, so a node that
 * has just renewed must not renew again for each of them.
 */
export function needsRenewalFor(notice: RotationNotice, held: { certPem: string; caCertPem: string }): boolean {
  if (issuerDigestIn(held.certPem, held.caCertPem) !== notice.rootDigest) return true;
  if (!notice.oldRootDropped) return false;
  const trusted = splitPemCertificates(held.caCertPem);
  return trusted.length !== 1 || certificateDigest(trusted[0]!) !== notice.rootDigest;
}
