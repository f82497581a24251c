import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { ControlServer, DockerEngineStatus, SwarmInfo } from '@flotilla/api';
import type { Logger } from 'pino';
import type { DaemonConfig } from './config.js';
import { buildInfo, buildVersion, type ProcessFacts } from './info.js';

/** Where the Control API reads the live state it reports; the daemon composition provides it. */
export interface ControlSources {
  readonly facts: ProcessFacts;
  readonly config: DaemonConfig;
  swarm(): SwarmInfo;
  dockerEngine(): Promise<DockerEngineStatus>;
  loadBalancerBackend(): string;
}

export function controlService(sources: ControlSources, log: Logger): ControlServer {
  return {
    version: (_call, callback) => {
      sources
        .dockerEngine()
        .then((docker) => callback(null, buildVersion(sources.facts, docker)))
        .catch((err: unknown) => callback(internalError('Version', err, log)));
    },
    info: (_call, callback) => {
      sources
        .dockerEngine()
        .then((docker) =>
          callback(
            null,
            buildInfo(sources.facts, sources.config, sources.swarm(), docker, sources.loadBalancerBackend()),
          ),
        )
        .catch((err: unknown) => callback(internalError('Info', err, log)));
    },
  };
}

function internalError(rpc: string, err: unknown, log: Logger): Partial<ServiceError> {
  const message = err instanceof Error ? err.message : String(err);
  log.error({ rpc, err }, `control ${rpc} failed`);
  return { code: GrpcStatus.INTERNAL, details: message };
}
