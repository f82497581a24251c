import type { Cluster, Node, RootCaView, Secret } from '@flotilla/api';
import {
  createRootCa,
  crossSignRootCa,
  deriveSecretsKey,
  openSecretValue,
  rotateJoinTokens,
  sealSecretValue,
  type NodeCertRecord,
  type RootCaMaterial,
  type RootRotationRecord,
  type RotationStatus,
} from '@flotilla/ca';

/** Why `swarm ca --rotate` cannot start now, or undefined. Pure. */
export function rotationRefusal(cluster: Cluster): string | undefined {
  if ((cluster.spec?.caConfig?.externalCas ?? []).length > 0) {
    return 'this swarm signs node certificates with an external CA; rotating its root CA is not supported (flotilla has no --external-ca for swarm ca)';
  }
  if (cluster.rootCa?.rotation) {
    return 'a root CA rotation is already in progress; "flotilla swarm ca" shows how far it is';
  }
  if ((cluster.rootCa?.caKey?.length ?? 0) === 0) return 'the store holds no root CA key for this swarm';
  return undefined;
}

/** The Cluster with a new root being rolled out: new root + key, cross-signed by the old root. Pure but for key generation. */
export function clusterStartingRotation(cluster: Cluster, current: RootCaMaterial, now = Date.now(), newRoot = createRootCa({ clusterId: cluster.id })): Cluster {
  return {
    ...cluster,
    rootCa: {
      ...cluster.rootCa!,
      rotation: {
        caCert: Buffer.from(newRoot.certPem),
        caKey: Buffer.from(newRoot.keyPem),
        crossSignedCaCert: Buffer.from(crossSignRootCa(current, newRoot)),
        oldCaCert: Buffer.from(current.certPem),
        oldCaKey: Buffer.from(current.keyPem),
        oldRootDropped: false,
        startedAtMs: now,
      },
    },
  };
}

/** The nodes a rotation waits for (every node the store holds; removed nodes are gone from it). Pure. */
export function nodeCertRecords(nodes: Iterable<Node>, deniedIds: readonly string[]): NodeCertRecord[] {
  const denied = new Set(deniedIds);
  return [...nodes]
    .filter((n) => !denied.has(n.id))
    .map((n) => ({ nodeId: n.id, issuerDigest: n.certIssuer?.rootDigest ?? '', trustsOldRoot: n.certIssuer?.trustsOldRoot ?? false }));
}

/**
 * The one transaction that ends the migration: the new root becomes current, both join tokens
 * are rotated (their digest names the new root, so the old tokens stop working), and every
 * secret is re-sealed under the key derived from the new root. The record stays, marked
 * old_root_dropped, until every node trusts the new root alone. Pure.
 */
export function newRootCurrent(cluster: Cluster, rotation: RootRotationRecord, oldKeyPem: string, secrets: Iterable<Secret>): { cluster: Cluster; secrets: Secret[] } {
  const { newRoot } = rotation;
  const resealed = resealedSecrets(cluster.id, oldKeyPem, newRoot.keyPem, secrets);
  const root = cluster.rootCa!;
  return {
    cluster: {
      ...cluster,
      rootCa: {
        ...root,
        caCert: Buffer.from(newRoot.certPem),
        caKey: Buffer.from(newRoot.keyPem),
        caCertHash: newRoot.digest,
        joinTokens: rotateJoinTokens(root.joinTokens ?? { worker: '', manager: '', service: '' }, 'both', newRoot.digest),
        rotation: { ...root.rotation!, oldRootDropped: true },
      },
    },
    secrets: resealed,
  };
}

/**
 * Every secret sealed under the old root's key, sealed again under the new root's; those already
 * under the new key are left alone (at the end of a rotation that is all but a secret created just
 * as the new root became current). Pure.
 */
export function resealedSecrets(clusterId: string, oldKeyPem: string, newKeyPem: string, secrets: Iterable<Secret>): Secret[] {
  const oldKey = deriveSecretsKey(oldKeyPem, clusterId);
  const newKey = deriveSecretsKey(newKeyPem, clusterId);
  const resealed: Secret[] = [];
  for (const secret of secrets) {
    if (secret.sealed?.keyId === newKey.id) continue;
    const plain = openSecretValue(oldKey, secret.id, secret.sealed);
    resealed.push({ ...secret, sealed: sealSecretValue(newKey, secret.id, plain) });
    plain.fill(0);
  }
  return resealed;
}

/** The Cluster once every node trusts the new root alone: no rotation record (and no old key). Pure. */
export function rotationFinished(cluster: Cluster): Cluster {
  const { rotation: _done, ...rootCa } = cluster.rootCa!;
  return { ...cluster, rootCa };
}

/** What `swarm ca` shows; outside a rotation every node counts as on the current root. Pure. */
export function rootCaView(currentPem: string, rotation: RootRotationRecord | undefined, status: RotationStatus | undefined, nodeCount: number): RootCaView {
  return {
    rootCaCertificate: currentPem,
    rotating: rotation !== undefined,
    phase: status?.phase ?? 'done',
    total: status?.total ?? nodeCount,
    tlsMoved: status?.tlsMoved ?? nodeCount,
    caMoved: status?.caMoved ?? nodeCount,
    pending: status?.pending ?? [],
    desiredRootCaCertificate: rotation?.newRoot.certPem ?? '',
  };
}

