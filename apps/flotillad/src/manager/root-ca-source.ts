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

function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');
}

/** The current root from a Cluster object, or undefined when it holds no certificate and key (an external CA keeps no key). Pure. */
export function storedRootCa(cluster: Cluster | undefined): { certPem: string; keyPem: string } | undefined {
  const certPem = text(cluster?.rootCa?.caCert);
  const keyPem = text(cluster?.rootCa?.caKey);
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
      const newCertPem = text(r.caCert);
      const cacheKey = `${newCertPem}|${r.oldRootDropped}`;
      if (record === undefined || cacheKey !== rotationKey) {
        record = { newRoot: loadRootCa(newCertPem, text(r.caKey)), crossSignedPem: text(r.crossSignedCaCert), oldRootPem: text(r.oldCaCert), oldRootDropped: r.oldRootDropped };
        rotationKey = cacheKey;
      }
      return record;
    },
  };
}
