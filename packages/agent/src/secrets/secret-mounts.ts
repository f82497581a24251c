import { posix } from 'node:path';
import type { ConfigReference, SecretReference } from '@flotilla/api';

/** Where secret files appear inside the container, like docker. */
export const CONTAINER_SECRETS_DIR = '/run/secrets';

export interface SecretFilePlan {
  /** Path of the file relative to the task's tmpfs. */
  file: string;
  /** Path in the container it is bind-mounted read-only to. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
  secretId: string;
}

/**
 * Pure: where each referenced secret goes. A relative target lands under /run/secrets; the
 * file in the tmpfs is named by its position so targets never need to be valid host names.
 */
export function planSecretFiles(refs: readonly SecretReference[]): SecretFilePlan[] {
  return refs.map((ref, i) => {
    const name = ref.target || ref.secretName;
    if (name === '' || name.split('/').includes('..')) throw new Error(`secret ${ref.secretName || ref.secretId} has an invalid target ${JSON.stringify(name)}`);
    return {
      file: `${i}-${ref.secretId}`,
      target: name.startsWith('/') ? posix.normalize(name) : posix.join(CONTAINER_SECRETS_DIR, name),
      uid: Number(ref.uid || '0'),
      gid: Number(ref.gid || '0'),
      mode: ref.mode || 0o444,
      secretId: ref.secretId,
    };
  });
}

/** A tmpfs just big enough for the values (rounded up to pages, at least 64 KiB). */
export function tmpfsSizeFor(totalBytes: number): number {
  const page = 4096;
  return Math.max(64 * 1024, Math.ceil((totalBytes + 16 * page) / page) * page);
}

export interface ConfigFilePlan {
  file: string;
  target: string;
  uid: number;
  gid: number;
  mode: number;
  configId: string;
}

/**
 * Pure: where each referenced config goes. Unlike a secret, a config's target is a path of its
 * own (default /<name>); a relative one is taken from the container's root, like docker's.
 */
export function planConfigFiles(refs: readonly ConfigReference[]): ConfigFilePlan[] {
  return refs.map((ref, i) => {
    const name = ref.target || `/${ref.configName}`;
    if (name === '' || name.split('/').includes('..')) throw new Error(`config ${ref.configName || ref.configId} has an invalid target ${JSON.stringify(name)}`);
    return {
      file: `config-${i}-${ref.configId}`,
      target: posix.normalize(posix.join('/', name)),
      uid: Number(ref.uid || '0'),
      gid: Number(ref.gid || '0'),
      mode: ref.mode || 0o444,
      configId: ref.configId,
    };
  });
}
