// Root CA rotation, the bookkeeping part (pure): which nodes still hold a certificate from the
// old root, and what the cluster must trust and hand out in each phase.

export type RotationPhase =
  /** Nodes are being re-issued certificates from the new root; both roots are trusted. */
  | 'migrating'
  /** Every node holds a new-root certificate: the old root is dropped from the trust bundle. */
  | 'dropping-old-root'
  | 'done';

export interface NodeCertIssuer {
  nodeId: string;
  /** Digest of the root that issued the node's current certificate ('' when unknown yet). */
  issuerDigest: string;
}

export interface RotationProgress {
  phase: RotationPhase;
  total: number;
  moved: number;
  /** Nodes still on the old root (or not reported yet), sorted. */
  pending: string[];
}

/** Where a rotation to `newDigest` stands, given the nodes that must move and whether the old root was dropped. */
export function rotationProgress(nodes: readonly NodeCertIssuer[], newDigest: string, oldRootDropped: boolean): RotationProgress {
  const pending = nodes.filter((n) => n.issuerDigest !== newDigest).map((n) => n.nodeId).sort();
  const moved = nodes.length - pending.length;
  const phase: RotationPhase = pending.length > 0 ? 'migrating' : oldRootDropped ? 'done' : 'dropping-old-root';
  return { phase, total: nodes.length, moved, pending };
}

/** The PEM bundle a node must trust in a phase: both roots while migrating, only the new one after. */
export function trustBundle(phase: RotationPhase, oldRootPem: string, newRootPem: string): string {
  return phase === 'migrating' ? `${newRootPem.trimEnd()}\n${oldRootPem.trimEnd()}\n` : `${newRootPem.trimEnd()}\n`;
}

/** What a node certificate issued during the rotation is sent with: its chain up to a root every node trusts. */
export function issuedChain(phase: RotationPhase, leafPem: string, crossSignedPem: string): string {
  return phase === 'migrating' ? `${leafPem.trimEnd()}\n${crossSignedPem.trimEnd()}\n` : `${leafPem.trimEnd()}\n`;
}
