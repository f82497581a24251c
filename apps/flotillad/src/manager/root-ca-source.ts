import type { Cluster } from '@flotilla/api';
import { certificateDigest, deriveSecretsKey, loadRootCa, type RootCaMaterial, type RootRotationRecord, type SecretsKey } from '@flotilla/ca';

/**
 * The root CA as the store holds it now (Cluster.root_ca), and a rotation under way. Parsed once
 * per root (the CA reads it at every call; loading checks that key and certificate belong together).
 */
export interface RootCaSource {
  current(): RootCaMaterial;
  rotation(): RootRotationRecord | undefined;
  /** The secrets data key derived from the current root's key. */
  secretsKey(): SecretsKey;
}

/** PEM bytes as the store keeps them (Cluster.root_ca fields), as text; '' for none. */
export function pemText(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');
}

/** The current root from a Cluster object, or undefined when it holds no certificate and key (an external CA keeps no key). Pure. */
export function storedRootCa(cluster: Cluster | undefined): { certPem: string; keyPem: string } | undefined {
  const certPem = pemText(cluster?.rootCa?.caCert);
  const keyPem = pemText(cluster?.rootCa?.caKey);
  return certPem !== '' && keyPem !== '' ? { certPem, keyPem } : undefined;
}

export function storeRootCaSource(cluster: () => Cluster | undefined, clusterId: string, fallback: RootCaMaterial): RootCaSource {
  let root = fallback;
  let key = deriveSecretsKey(fallback.keyPem, clusterId);
  let rotationKey = '';
  let record: RootRotationRecord | undefined;
  const current = (): RootCaMaterial => {
    const stored = storedRootCa(cluster());
    if (stored && certificateDigest(stored.certPem) !== root.digest) {
      root = loadRootCa(stored.certPem, stored.keyPem);
      key = deriveSecretsKey(root.keyPem, clusterId);
    }
    return root;
  };
  return {
    current,
    secretsKey: () => {
      current();
      return key;
    },
    rotation: () => {
      const r = cluster()?.rootCa?.rotation;
      if (!r) return (record = undefined);
      const newCertPem = pemText(r.caCert);
      const cacheKey = `${newCertPem}|${r.oldRootDropped}`;
      if (record === undefined || cacheKey !== rotationKey) {
        record = { newRoot: loadRootCa(newCertPem, pemText(r.caKey)), crossSignedPem: pemText(r.crossSignedCaCert), oldRootPem: pemText(r.oldCaCert), oldRootDropped: r.oldRootDropped };
        rotationKey = cacheKey;
      }
      return record;
    },
  };
}
