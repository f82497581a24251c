// How a plugin runs as an ordinary container with exactly its granted privileges: Docker
// Engine create options (the /containers/create body), and the mapping from paths inside the
// plugin to paths on the host (a volume driver answers with a path inside its own rootfs).
import { posix } from 'node:path';
import { PLUGIN_SOCKET_DIR, type PluginConfig } from './config.js';

export interface PluginContainerInput {
  /** Container name, e.g. flotilla-plugin-<id>. */
  name: string;
  image: string;
  config: PluginConfig;
  /** Host directory bind-mounted at /run/docker/plugins: the plugin creates its socket there. */
  socketDir: string;
  /** Host directory for config.propagatedMount (rshared), when the config has one. */
  propagatedDir: string;
  labels: Record<string, string>;
}

export interface HostBind {
  /** Host path. */
  source: string;
  /** Path inside the plugin's container. */
  destination: string;
}

export interface PluginContainerPlan {
  /** Docker Engine's /containers/create body. */
  create: Record<string, unknown>;
  /** Every host path the plugin sees, for translating the paths it answers with. */
  binds: HostBind[];
  /** The socket on the host once the plugin listens. */
  hostSocket: string;
}

const CAP_PREFIX = 'CAP_';

export function pluginContainerPlan(input: PluginContainerInput): PluginContainerPlan {
  const { config } = input;
  const binds: HostBind[] = [{ source: input.socketDir, destination: PLUGIN_SOCKET_DIR }];
  const mounts: Record<string, unknown>[] = [{ Type: 'bind', Source: input.socketDir, Target: PLUGIN_SOCKET_DIR }];
  if (config.propagatedMount !== '') {
    mounts.push({ Type: 'bind', Source: input.propagatedDir, Target: config.propagatedMount, BindOptions: { Propagation: 'rshared' } });
    binds.push({ source: input.propagatedDir, destination: config.propagatedMount });
  }
  for (const m of config.mounts) {
    if (m.type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Target: m.destination });
      continue;
    }
    const readOnly = m.options.includes('ro');
    mounts.push({ Type: 'bind', Source: m.source, Target: m.destination, ReadOnly: readOnly, ...(m.options.includes('rshared') ? { BindOptions: { Propagation: 'rshared' } } : {}) });
    if (m.source !== undefined) binds.push({ source: m.source, destination: m.destination });
  }
  const network = config.network.type === '' ? 'none' : config.network.type;
  const create: Record<string, unknown> = {
    name: input.name,
    Image: input.image,
    Entrypoint: config.entrypoint,
    Cmd: config.args.value,
    Env: config.env.map((e) => `${e.name}=${e.value}`),
    Labels: input.labels,
    ...(config.workdir !== '' ? { WorkingDir: config.workdir } : {}),
    HostConfig: {
      NetworkMode: network,
      Mounts: mounts,
      // Docker's plugin runtime starts from the default capability set and adds what was granted.
      CapAdd: config.linux.capabilities.map((c) => c.slice(CAP_PREFIX.length)),
      Devices: config.linux.devices.filter((d) => d.path !== undefined).map((d) => ({ PathOnHost: d.path, PathInContainer: d.path, CgroupPermissions: 'rwm' })),
      ...(config.linux.allowAllDevices ? { Privileged: false, DeviceCgroupRules: ['a *:* rwm'] } : {}),
      ...(config.ipcHost ? { IpcMode: 'host' } : {}),
      ...(config.pidHost ? { PidMode: 'host' } : {}),
      // The node's plugin host decides when to restart it (and re-activates it).
      RestartPolicy: { Name: 'no' },
    },
  };
  return { create, binds, hostSocket: posix.join(input.socketDir, config.interface.socket) };
}

/**
 * The host path of a path inside the plugin, through the deepest bind that holds it; undefined
 * when the path is not on any host bind (the plugin answered with a path only it can see).
 */
export function hostPathFor(pathInPlugin: string, binds: readonly HostBind[]): string | undefined {
  if (!pathInPlugin.startsWith('/')) return undefined;
  const normal = posix.normalize(pathInPlugin);
  let best: HostBind | undefined;
  for (const b of binds) {
    const dest = posix.normalize(b.destination).replace(/\/$/, '');
    if ((normal === dest || normal.startsWith(`${dest}/`)) && (best === undefined || dest.length > best.destination.length)) best = { ...b, destination: dest };
  }
  if (best === undefined) return undefined;
  return posix.join(best.source, normal.slice(best.destination.length));
}
