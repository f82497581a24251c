import Docker from 'dockerode';
import type { DockerEngineStatus } from '@flotilla/api';
import type { DockerHost } from './config-values.js';

/** Short: Info must answer promptly even when the engine hangs. */
export const DOCKER_PROBE_TIMEOUT_MS = 3_000;

export function dockerClient(host: DockerHost, timeoutMs: number = DOCKER_PROBE_TIMEOUT_MS): Docker {
  return host.kind === 'unix'
    ? new Docker({ socketPath: host.socketPath, timeout: timeoutMs })
    : new Docker({ host: host.host, port: host.port, protocol: 'http', timeout: timeoutMs });
}

/** Asks the engine for its version; never throws, an unreachable engine is a status. */
export async function probeDockerEngine(docker: Docker, host: DockerHost): Promise<DockerEngineStatus> {
  try {
    const v = await docker.version();
    return { host: host.url, reachable: true, engineVersion: v.Version, apiVersion: v.ApiVersion, error: '' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      host: host.url,
      reachable: false,
      engineVersion: '',
      apiVersion: '',
      error: `cannot reach Docker Engine at ${host.url}: ${reason}`,
    };
  }
}
