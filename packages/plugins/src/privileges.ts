// What a plugin may do beyond an ordinary container, listed the way Docker lists it before
// asking "Do you grant the above permissions?", and the difference between what a config needs
// and what was granted.
import type { PluginConfig } from './config.js';

export interface PluginPrivilege {
  name: string;
  description: string;
  value: string[];
}

/** Docker's computePrivileges, over the config as it will run (settings applied). */
export function privilegesOf(config: PluginConfig): PluginPrivilege[] {
  const out: PluginPrivilege[] = [];
  const net = config.network.type;
  if (net !== '' && net !== 'none' && net !== 'bridge') out.push({ name: 'network', description: 'permissions to access a network', value: [net] });
  if (config.ipcHost) out.push({ name: 'host ipc namespace', description: 'allow access to host ipc namespace', value: ['true'] });
  if (config.pidHost) out.push({ name: 'host pid namespace', description: 'allow access to host pid namespace', value: ['true'] });
  for (const m of config.mounts) {
    if (m.source !== undefined) out.push({ name: 'mount', description: 'host path to mount', value: [m.source] });
  }
  for (const d of config.linux.devices) {
    if (d.path !== undefined) out.push({ name: 'device', description: 'host device to access', value: [d.path] });
  }
  if (config.linux.allowAllDevices) out.push({ name: 'allow-all-devices', description: "allow 'rwm' access to all devices", value: ['true'] });
  if (config.linux.capabilities.length > 0) {
    out.push({ name: 'capabilities', description: 'list of additional capabilities required', value: [...config.linux.capabilities] });
  }
  return out;
}

/** One grant per (name, value) pair, so that order and grouping do not matter. */
function grantKeys(privileges: readonly PluginPrivilege[]): Set<string> {
  const keys = new Set<string>();
  for (const p of privileges) for (const v of p.value) keys.add(`${p.name}\u0000${v}`);
  return keys;
}

/** What `required` asks for that `granted` does not cover, grouped by privilege name. */
export function missingPrivileges(required: readonly PluginPrivilege[], granted: readonly PluginPrivilege[]): PluginPrivilege[] {
  const have = grantKeys(granted);
  const out: PluginPrivilege[] = [];
  for (const p of required) {
    const missing = p.value.filter((v) => !have.has(`${p.name}\u0000${v}`));
    if (missing.length === 0) continue;
    const existing = out.find((o) => o.name === p.name);
    if (existing) existing.value.push(...missing.filter((v) => !existing.value.includes(v)));
    else out.push({ name: p.name, description: p.description, value: [...new Set(missing)] });
  }
  return out;
}

/** `granted` plus whatever of `extra` it lacks. */
export function mergePrivileges(granted: readonly PluginPrivilege[], extra: readonly PluginPrivilege[]): PluginPrivilege[] {
  const out = granted.map((p) => ({ ...p, value: [...p.value] }));
  for (const p of missingPrivileges(extra, out)) {
    const existing = out.find((o) => o.name === p.name);
    if (existing) existing.value.push(...p.value);
    else out.push(p);
  }
  return out;
}

/** ` - network: [host]` lines, as docker prints them above the question. */
export function formatPrivileges(privileges: readonly PluginPrivilege[]): string {
  return privileges.map((p) => ` - ${p.name}: [${p.value.join(' ')}]\n`).join('');
}

/** "network: [host], mount: [/x]" for one-line refusals. */
export function describePrivileges(privileges: readonly PluginPrivilege[]): string {
  return privileges.map((p) => `${p.name}: [${p.value.join(' ')}]`).join(', ');
}
