import type { ControlServer, DockerEngineStatus, SwarmInfo } from '@flotilla/api';
import type { Logger } from 'pino';
import type { DaemonConfig } from './config.js';
import { nodeHandlers } from './control/node-handlers.js';
import { logsHandlers } from './control/logs-handlers.js';
import { eventsHandlers } from './control/events-handlers.js';
import { networkHandlers } from './control/network-handlers.js';
import { serviceHandlers } from './control/service-handlers.js';
import { secretHandlers } from './control/secret-handlers.js';
import { configHandlers } from './control/config-handlers.js';
import { stackHandlers } from './control/stack-handlers.js';
import { swarmHandlers } from './control/swarm-handlers.js';
import { clusterHandlers } from './control/cluster-handlers.js';
import { caHandlers } from './control/ca-handlers.js';
import { pluginHandlers } from './control/plugin-handlers.js';
import { backupHandlers } from './control/backup-handlers.js';
import { unary } from './control/unary.js';
import { buildInfo, buildVersion, type ProcessFacts } from './info.js';
import type { SwarmController } from './swarm/swarm-controller.js';

/** Where the Control API reads the live state it reports; the daemon composition provides it. */
export interface ControlSources {
  readonly facts: ProcessFacts;
  readonly config: DaemonConfig;
  swarm(): SwarmInfo;
  dockerEngine(): Promise<DockerEngineStatus>;
  loadBalancerBackend(): string;
}

export function controlService(sources: ControlSources, swarm: SwarmController, log: Logger): ControlServer {
  return {
    version: unary(log, 'Version', async () => buildVersion(sources.facts, await sources.dockerEngine())),
    info: unary(log, 'Info', async () =>
      buildInfo(sources.facts, sources.config, sources.swarm(), await sources.dockerEngine(), sources.loadBalancerBackend(), await swarm.managerServices()),
    ),
    ...swarmHandlers(swarm, log),
    ...clusterHandlers(swarm, log),
    ...nodeHandlers(swarm, log),
    ...serviceHandlers(swarm, log),
    ...logsHandlers(swarm, log),
    ...eventsHandlers(swarm, log),
    ...secretHandlers(swarm, log),
    ...configHandlers(swarm, log),
    ...stackHandlers(swarm, log),
    ...networkHandlers(swarm, log),
    ...caHandlers(swarm, log),
    ...pluginHandlers(swarm, log),
    ...backupHandlers(swarm, sources.config.dataDir, log),
  };
}
