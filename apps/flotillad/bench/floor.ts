import type Docker from 'dockerode';
import { removeContainersByLabel } from './engine-watch.js';
import { IMAGE, REPLICA_COMMAND, type CreateOptions, type Orchestrator } from './orchestrator.js';

export const FLOOR_LABEL = 'io.flotilla.bench.floor';

/** Docker's default stop grace, which both orchestrators apply when a service gives none. */
const DEFAULT_STOP_GRACE_S = 10;

/**
 * The physical floor: the same containers created and started straight through the Engine
 * API, all at once, with no scheduling, no store and no agent in between. Removal honours
 * each container's stop grace like the orchestrators do (stop, all at once, then remove), so
 * the floor of `rm` is the grace plus the Engine's own teardown.
 */
export function floorBaseline(docker: Docker): Orchestrator {
  return {
    name: 'floor',
    serviceLabel: (service) => `${FLOOR_LABEL}=${service}`,
    async create(service: string, { replicas, stopGraceSeconds }: CreateOptions): Promise<void> {
      await Promise.all(
        Array.from({ length: replicas }, async (_, i) => {
          const container = await docker.createContainer({
            name: `${service}.${i + 1}`,
            Image: IMAGE,
            Cmd: [...REPLICA_COMMAND],
            Labels: { [FLOOR_LABEL]: service },
            StopTimeout: stopGraceSeconds ?? DEFAULT_STOP_GRACE_S,
          });
          await container.start();
        }),
      );
    },
    async remove(service: string): Promise<void> {
      const list = await docker.listContainers({ all: true, filters: { label: [`${FLOOR_LABEL}=${service}`] } });
      // stop() without t: the engine applies the container's own StopTimeout (SIGTERM, then SIGKILL).
      await Promise.all(list.map((c) => docker.getContainer(c.Id).stop().catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
      })));
      await removeContainersByLabel(docker, `${FLOOR_LABEL}=${service}`);
    },
  };
}
