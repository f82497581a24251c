import { join } from 'node:path';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { dockerClient } from '../docker-engine.js';
import { TaskPluginsRequest, TaskPluginsResponse, type Plugin } from '@flotilla/api';
import type { VolumeDriverAccess } from '@flotilla/agent';
import { request, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { ManagerPlugins, volumeAccessVia } from './manager-plugins.js';
import { PluginHost } from './plugin-host.js';

export type { ManagerPlugins } from './manager-plugins.js';

/** Importing a rootfs and starting a container take longer than the engine probe allows. */
const PLUGIN_DOCKER_TIMEOUT_MS = 60_000;

export function pluginHostFor(config: DaemonConfig, nodeId: string, log: Logger): PluginHost {
  return new PluginHost(dockerClient(config.dockerHost, PLUGIN_DOCKER_TIMEOUT_MS), nodeId, join(config.dataDir, 'plugins'), log.child({ component: 'plugins' }));
}

/** The manager's plugins, started: authz plugins follow the store from now on. */
export function managerPlugins(config: DaemonConfig, nodeId: string, member: RaftMember, log: Logger): ManagerPlugins {
  const plugins = new ManagerPlugins(member, pluginHostFor(config, nodeId, log), log.child({ component: 'plugins' }));
  plugins.start();
  return plugins;
}

const PLUGIN_REQUEST_TIMEOUT_MS = 10_000;

export interface WorkerPlugins {
  readonly volumeAccess: VolumeDriverAccess;
  stop(): Promise<void>;
}

/**
 * A worker's volume driver plugins: fetched from the dispatcher for the task that mounts one
 * (workers never read the store) and run like a manager runs them. The last copy of each is
 * kept for unmounting after its task has gone from the store.
 */
export function workerPlugins(config: DaemonConfig, nodeId: string, bus: BusConnection, subjects: ClusterSubjects, sessionId: () => string | undefined, log: Logger): WorkerPlugins {
  const host = pluginHostFor(config, nodeId, log);
  const known = new Map<string, Plugin>();
  const volumeAccess = volumeAccessVia(host, async (name, taskId) => {
    const session = sessionId();
    if (!session) {
      const cached = known.get(name);
      if (cached) return cached;
      throw new Error('the agent has no session with the dispatcher');
    }
    try {
      const res = await request(bus.nc, subjects.dispatcher.plugins(nodeId), TaskPluginsRequest, { sessionId: session, taskId, plugin: name }, TaskPluginsResponse, { timeoutMs: PLUGIN_REQUEST_TIMEOUT_MS });
      if (!res.plugin) throw new Error(`the dispatcher sent no plugin ${name}`);
      known.set(name, res.plugin);
      return res.plugin;
    } catch (err) {
      const cached = known.get(name);
      if (cached && !cached.spec?.enabled) throw err;
      if (cached) return cached;
      throw err;
    }
  });
  return { volumeAccess, stop: () => host.stopAll() };
}
