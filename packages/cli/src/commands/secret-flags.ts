import type { ConfigReference, SecretReference, SpecInput } from '@flotilla/api';
import { CliError } from '../errors.js';

const usage = (message: string) => new CliError(message, 2);

/**
 * docker's --secret syntax: `NAME`, or `source=NAME[,target=FILE][,uid=N][,gid=N][,mode=0400]`
 * (src/source, target/dst/destination). The daemon resolves NAME to the secret's id and refuses
 * one that does not exist.
 */
export function parseSecretFlag(flag: string, raw: string): SpecInput<SecretReference> {
  const bad = (why: string) => usage(`invalid argument "${raw}" for "${flag}" flag: ${why}`);
  if (!raw.includes('=')) {
    if (raw.trim() === '') throw bad('a secret name is required');
    return { secretName: raw, target: raw };
  }
  const ref: { secretName?: string; target?: string; uid?: string; gid?: string; mode?: number } = {};
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(`expected key=value, got "${part}"`);
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    switch (key) {
      case 'source':
      case 'src':
        ref.secretName = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        ref.target = value;
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(value)) throw bad(`${key} must be a number`);
        ref[key] = value;
        break;
      case 'mode':
        if (!/^[0-7]{1,4}$/.test(value)) throw bad('mode must be an octal file mode such as 0400');
        ref.mode = parseInt(value, 8);
        break;
      default:
        throw bad(`unknown key "${key}" (source, target, uid, gid, mode)`);
    }
  }
  if (!ref.secretName) throw bad('source is required');
  return { ...ref, target: ref.target || ref.secretName };
}

/** `service update --secret-rm NAME --secret-add SPEC`: removed by name (or target), then added; an added name replaces its old reference. */
export function updatedSecrets(current: readonly SecretReference[], add: readonly string[], rm: readonly string[]): SecretReference[] {
  const added = add.map((raw) => parseSecretFlag('--secret-add', raw));
  const gone = new Set([...rm, ...added.map((a) => a.secretName ?? '')]);
  const kept = current.filter((r) => !gone.has(r.secretName) && !rm.includes(r.target));
  return [
    ...kept,
    ...added.map((a) => ({ secretId: '', secretName: a.secretName ?? '', target: a.target ?? '', uid: a.uid ?? '', gid: a.gid ?? '', mode: a.mode ?? 0 })),
  ];
}

/**
 * docker's --config syntax: `NAME` (file /NAME), or `source=NAME[,target=/PATH][,uid=N][,gid=N][,mode=0444]`.
 * Parsed like --secret; the default target is /<name> instead of /run/secrets/<name>.
 */
export function parseConfigFlag(flag: string, raw: string): SpecInput<ConfigReference> {
  const asSecret = parseSecretFlag(flag, raw);
  const explicitTarget = raw.includes('=') && /(^|,)\s*(target|dst|destination)\s*=/i.test(raw);
  return {
    configName: asSecret.secretName ?? '',
    target: explicitTarget ? (asSecret.target ?? '') : `/${asSecret.secretName ?? ''}`,
    ...(asSecret.uid !== undefined ? { uid: asSecret.uid } : {}),
    ...(asSecret.gid !== undefined ? { gid: asSecret.gid } : {}),
    ...(asSecret.mode !== undefined ? { mode: asSecret.mode } : {}),
  };
}

/** `service update --config-rm NAME --config-add SPEC`: removed by name (or target), then added. */
export function updatedConfigs(current: readonly ConfigReference[], add: readonly string[], rm: readonly string[]): ConfigReference[] {
  const added = add.map((raw) => parseConfigFlag('--config-add', raw));
  const gone = new Set([...rm, ...added.map((a) => a.configName ?? '')]);
  const kept = current.filter((r) => !gone.has(r.configName) && !rm.includes(r.target));
  return [...kept, ...added.map((a) => ({ configId: '', configName: a.configName ?? '', target: a.target ?? '', uid: a.uid ?? '', gid: a.gid ?? '', mode: a.mode ?? 0 }))];
}
