import { join } from 'node:path';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { dockerClient } from '../docker-engine.js';
import { ManagerPlugins } from './manager-plugins.js';
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
