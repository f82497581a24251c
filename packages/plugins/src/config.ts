// Docker's managed-plugin config.json (the "v1 plugin config"), validated into a typed value.
// Unknown keys are ignored, as Docker ignores them; what Flotilla acts on is checked.

export const AUTHZ_TYPE = 'docker.authz/1.0';
export const VOLUME_DRIVER_TYPE = 'docker.volumedriver/1.0';
/** The interface types Flotilla runs; a plugin declaring any other is refused at install. */
export const SUPPORTED_TYPES: readonly string[] = [AUTHZ_TYPE, VOLUME_DRIVER_TYPE];

/** The directory the plugin's socket lives in inside its container, as with Docker. */
export const PLUGIN_SOCKET_DIR = '/run/docker/plugins';

export interface PluginMountConfig {
  name: string;
  description: string;
  settable: string[];
  /** Host path; undefined for a mount without a host source (e.g. tmpfs). */
  source: string | undefined;
  destination: string;
  type: string;
  options: string[];
}

export interface PluginEnvConfig {
  name: string;
  description: string;
  settable: string[];
  value: string;
}

export interface PluginDeviceConfig {
  name: string;
  description: string;
  settable: string[];
  path: string | undefined;
}

export interface PluginArgsConfig {
  name: string;
  description: string;
  settable: string[];
  value: string[];
}

export interface PluginConfig {
  description: string;
  documentation: string;
  entrypoint: string[];
  workdir: string;
  interface: { types: string[]; socket: string };
  network: { type: string };
  propagatedMount: string;
  ipcHost: boolean;
  pidHost: boolean;
  mounts: PluginMountConfig[];
  env: PluginEnvConfig[];
  args: PluginArgsConfig;
  linux: { capabilities: string[]; allowAllDevices: boolean; devices: PluginDeviceConfig[] };
}

export class PluginConfigError extends Error {
  override readonly name = 'PluginConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid plugin config.json: ${problems.join('; ')}`);
  }
}

const NETWORK_TYPES = ['', 'none', 'bridge', 'host'];
const CAPABILITY = /^CAP_[A-Z][A-Z0-9_]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SOCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects every problem instead of stopping at the first, so one run shows them all. */
class Checker {
  readonly problems: string[] = [];
  add(message: string): void {
    this.problems.push(message);
  }
  string(obj: Json, key: string, at: string, required = false): string {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.add(`${at}${key} is required`);
      return '';
    }
    if (typeof v !== 'string') {
      this.add(`${at}${key} must be a string`);
      return '';
    }
    return v;
  }
  bool(obj: Json, key: string, at: string): boolean {
    const v = obj[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') {
      this.add(`${at}${key} must be true or false`);
      return false;
    }
    return v;
  }
  strings(obj: Json, key: string, at: string): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      this.add(`${at}${key} must be an array of strings`);
      return [];
    }
    return v as string[];
  }
  object(obj: Json, key: string, at: string): Json {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (!isObject(v)) {
      this.add(`${at}${key} must be an object`);
      return {};
    }
    return v;
  }
  objects(obj: Json, key: string, at: string): Json[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((o) => !isObject(o))) {
      this.add(`${at}${key} must be an array of objects`);
      return [];
    }
    return v as Json[];
  }
  settable(obj: Json, at: string, allowed: readonly string[]): string[] {
    const settable = this.strings(obj, 'settable', at);
    for (const s of settable) if (!allowed.includes(s)) this.add(`${at}settable may only hold ${allowed.join(', ')} (got ${JSON.stringify(s)})`);
    return settable;
  }
}

const isAbsolute = (p: string) => p.startsWith('/') && !p.split('/').includes('..');

/** Parses config.json text; every problem is reported in one PluginConfigError. */
export function parsePluginConfig(text: string): PluginConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PluginConfigError([`not JSON: ${(err as Error).message}`]);
  }
  return validatePluginConfig(json);
}

export function validatePluginConfig(json: unknown): PluginConfig {
  if (!isObject(json)) throw new PluginConfigError(['config.json must hold an object']);
  const c = new Checker();
  const description = c.string(json, 'description', '', true);
  const documentation = c.string(json, 'documentation', '');
  const entrypoint = c.strings(json, 'entrypoint', '');
  if (entrypoint.length === 0 && !c.problems.some((p) => p.startsWith('entrypoint'))) c.add('entrypoint is required (the program to run, e.g. ["/plugin"])');
  const workdir = c.string(json, 'workdir', '');
  if (workdir !== '' && !isAbsolute(workdir)) c.add(`workdir must be an absolute path (got ${JSON.stringify(workdir)})`);

  const iface = c.object(json, 'interface', '');
  const types = c.strings(iface, 'types', 'interface.');
  if (types.length === 0) c.add(`interface.types is required (${SUPPORTED_TYPES.join(' or ')})`);
  for (const t of types) {
    if (!SUPPORTED_TYPES.includes(t)) c.add(`interface.types: ${JSON.stringify(t)} is not supported (Flotilla runs ${SUPPORTED_TYPES.join(', ')})`);
  }
  const socket = c.string(iface, 'socket', 'interface.', true);
  if (socket !== '' && !SOCKET_NAME.test(socket)) c.add(`interface.socket must be a file name such as plugin.sock (got ${JSON.stringify(socket)})`);

  const networkType = c.string(c.object(json, 'network', ''), 'type', 'network.');
  if (!NETWORK_TYPES.includes(networkType)) c.add(`network.type must be host, bridge or none (got ${JSON.stringify(networkType)})`);

  const propagatedMount = c.string(json, 'propagatedMount', '');
  if (propagatedMount !== '' && !isAbsolute(propagatedMount)) c.add(`propagatedMount must be an absolute path (got ${JSON.stringify(propagatedMount)})`);

  const mounts = c.objects(json, 'mounts', '').map((m, i): PluginMountConfig => {
    const at = `mounts[${i}].`;
    const rawSource = m['source'];
    const source = rawSource === undefined || rawSource === null ? undefined : c.string(m, 'source', at);
    const mount: PluginMountConfig = {
      name: c.string(m, 'name', at),
      description: c.string(m, 'description', at),
      settable: c.settable(m, at, ['source', 'destination']),
      source,
      destination: c.string(m, 'destination', at, true),
      type: c.string(m, 'type', at) || 'bind',
      options: c.strings(m, 'options', at),
    };
    if (mount.destination !== '' && !isAbsolute(mount.destination)) c.add(`${at}destination must be an absolute path (got ${JSON.stringify(mount.destination)})`);
    if (mount.type === 'bind' && (source === undefined || !isAbsolute(source))) c.add(`${at}source of a bind mount must be an absolute host path`);
    if (mount.type !== 'bind' && mount.type !== 'tmpfs') c.add(`${at}type must be bind or tmpfs (got ${JSON.stringify(mount.type)})`);
    if (mount.name !== '' && !SETTING_NAME.test(mount.name)) c.add(`${at}name ${JSON.stringify(mount.name)} is not a valid setting name`);
    return mount;
  });

  const env = c.objects(json, 'env', '').map((e, i): PluginEnvConfig => {
    const at = `env[${i}].`;
    const out = { name: c.string(e, 'name', at, true), description: c.string(e, 'description', at), settable: c.settable(e, at, ['value']), value: c.string(e, 'value', at) };
    if (out.name !== '' && !ENV_NAME.test(out.name)) c.add(`${at}name ${JSON.stringify(out.name)} is not a valid environment variable name`);
    return out;
  });

  const argsJson = c.object(json, 'args', '');
  const args: PluginArgsConfig = {
    name: c.string(argsJson, 'name', 'args.'),
    description: c.string(argsJson, 'description', 'args.'),
    settable: c.settable(argsJson, 'args.', ['value']),
    value: c.strings(argsJson, 'value', 'args.'),
  };

  const linux = c.object(json, 'linux', '');
  const capabilities = c.strings(linux, 'capabilities', 'linux.');
  for (const cap of capabilities) if (!CAPABILITY.test(cap)) c.add(`linux.capabilities: ${JSON.stringify(cap)} is not a capability name such as CAP_SYS_ADMIN`);
  const devices = c.objects(linux, 'devices', 'linux.').map((d, i): PluginDeviceConfig => {
    const at = `linux.devices[${i}].`;
    const path = d['path'] === undefined || d['path'] === null ? undefined : c.string(d, 'path', at);
    if (path !== undefined && !path.startsWith('/dev/')) c.add(`${at}path must be under /dev (got ${JSON.stringify(path)})`);
    return { name: c.string(d, 'name', at), description: c.string(d, 'description', at), settable: c.settable(d, at, ['path']), path };
  });

  const names = [...mounts.map((m) => m.name), ...env.map((e) => e.name), ...devices.map((d) => d.name), args.name].filter((n) => n !== '');
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) c.add(`the name ${JSON.stringify(n)} is used by more than one env, mount, device or args entry`);
    seen.add(n);
  }

  const ipcHost = c.bool(json, 'ipcHost', '');
  const pidHost = c.bool(json, 'pidHost', '');
  const allowAllDevices = c.bool(linux, 'allowAllDevices', 'linux.');
  if (c.problems.length > 0) throw new PluginConfigError(c.problems);
  return {
    description,
    documentation,
    entrypoint,
    workdir,
    interface: { types, socket },
    network: { type: networkType },
    propagatedMount,
    ipcHost,
    pidHost,
    mounts,
    env,
    args,
    linux: { capabilities, allowAllDevices, devices },
  };
}

export const isAuthzPlugin = (c: PluginConfig): boolean => c.interface.types.includes(AUTHZ_TYPE);
export const isVolumeDriver = (c: PluginConfig): boolean => c.interface.types.includes(VOLUME_DRIVER_TYPE);
