// `plugin install SRC KEY=VALUE…` and `plugin set NAME KEY=VALUE…`, with Docker's rules: an env
// variable by name (settable "value"), a mount's or device's field as NAME.source / NAME.path, the
// args entry by its name. Only what the config marks settable may change.
import type { PluginConfig } from './config.js';

export class PluginSettingError extends Error {
  override readonly name = 'PluginSettingError';
}

export interface PluginSetting {
  key: string;
  value: string;
}

export function parseSetting(raw: string): PluginSetting {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new PluginSettingError(`invalid setting ${JSON.stringify(raw)}: expected KEY=VALUE`);
  return { key: raw.slice(0, eq), value: raw.slice(eq + 1) };
}

function requireSettable(settable: readonly string[], field: string, key: string): void {
  if (!settable.includes(field)) throw new PluginSettingError(`setting ${JSON.stringify(key)} is not settable`);
}

/**
 * The config with the settings applied in order (later ones win). The input is not changed.
 * Throws PluginSettingError naming the first setting that does not apply.
 */
export function applySettings(config: PluginConfig, settings: readonly string[]): PluginConfig {
  const out: PluginConfig = structuredClone(config);
  for (const raw of settings) {
    const { key, value } = parseSetting(raw);
    const dot = key.indexOf('.');
    const [name, field] = dot < 0 ? [key, undefined] : [key.slice(0, dot), key.slice(dot + 1)];
    const env = field === undefined ? out.env.find((e) => e.name === name) : undefined;
    if (env) {
      requireSettable(env.settable, 'value', key);
      env.value = value;
      continue;
    }
    const mount = out.mounts.find((m) => m.name !== '' && m.name === name);
    if (mount && (field === 'source' || field === 'destination')) {
      requireSettable(mount.settable, field, key);
      if (!value.startsWith('/')) throw new PluginSettingError(`setting ${JSON.stringify(key)}: ${field} must be an absolute path (got ${JSON.stringify(value)})`);
      mount[field] = value;
      continue;
    }
    const device = out.linux.devices.find((d) => d.name !== '' && d.name === name);
    if (device && field === 'path') {
      requireSettable(device.settable, 'path', key);
      if (!value.startsWith('/dev/')) throw new PluginSettingError(`setting ${JSON.stringify(key)}: path must be under /dev (got ${JSON.stringify(value)})`);
      device.path = value;
      continue;
    }
    if (field === undefined && out.args.name !== '' && out.args.name === name) {
      requireSettable(out.args.settable, 'value', key);
      out.args.value = value.split(/\s+/).filter((a) => a !== '');
      continue;
    }
    throw new PluginSettingError(`setting ${JSON.stringify(key)} not found in the plugin configuration`);
  }
  return out;
}
