// types.Plugin of the Docker Engine API (`plugin inspect`): Config (the plugin's config.json),
// Enabled, Id, Name, PluginReference, Settings; then what Flotilla adds (the privileges
// granted, where it was installed from, its rootfs).
import type { Plugin } from '@flotilla/api';
import { goTime } from './go-values.js';
import type { Json } from './service.js';

/** The config.json with the plugin's settings applied (what @flotilla/plugins' applySettings returns). */
export interface EffectivePluginSettings {
  env: ReadonlyArray<{ name: string; value: string }>;
  args: { value: readonly string[] };
  mounts: ReadonlyArray<{ name: string; description: string; settable: readonly string[]; source: string | undefined; destination: string; type: string; options: readonly string[] }>;
  linux: { devices: ReadonlyArray<{ name: string; description: string; settable: readonly string[]; path: string | undefined }> };
}

function parseConfig(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** types.Plugin; `effective` fills Settings (docker shows the values in force, settings applied). */
export function dockerPlugin(p: Plugin, effective?: EffectivePluginSettings): Json {
  return {
    Config: parseConfig(p.spec?.configJson ?? '{}'),
    Enabled: Boolean(p.spec?.enabled),
    Id: p.id,
    Name: p.spec?.name ?? '',
    ...(p.spec?.image ? { PluginReference: p.spec.image } : {}),
    Settings: {
      Args: effective ? [...effective.args.value] : [],
      Devices: (effective?.linux.devices ?? []).map((d) => ({ Name: d.name, Description: d.description, Settable: [...d.settable], Path: d.path ?? '' })),
      Env: (effective?.env ?? []).map((e) => `${e.name}=${e.value}`),
      Mounts: (effective?.mounts ?? []).map((m) => ({
        Name: m.name,
        Description: m.description,
        Settable: [...m.settable],
        Source: m.source ?? '',
        Destination: m.destination,
        Type: m.type,
        Options: [...m.options],
      })),
      // Flotilla keeps the KEY=VALUE settings as given (plugin install … KEY=VALUE, plugin set).
      Set: [...(p.spec?.settings ?? [])],
    },
    Privileges: (p.spec?.granted ?? []).map((g) => ({ Name: g.name, Description: g.description, Value: g.value })),
    Source: p.spec?.source ?? '',
    Image: p.spec?.image ?? '',
    RootfsDigest: p.rootfsDigest,
    RootfsSize: p.rootfsSize,
    CreatedAt: goTime(p.meta?.createdAt ?? 0),
    UpdatedAt: goTime(p.meta?.updatedAt ?? 0),
  };
}
