import type Docker from 'dockerode';
import { removeContainersByLabel } from './engine-watch.js';
import { IMAGE, REPLICA_COMMAND, type CreateOptions, type Orchestrator } from './orchestrator.js';

export const FLOOR_LABEL = 'io.flotilla.bench.floor';

/**
 * The physical floor: the same containers created and started straight through the Engine
 * API, all at once, with no scheduling, no store and no agent in between.
 */
export function floorBaseline(docker: Docker): Orchestrator {
  return {
    name: 'floor',
    serviceLabel: (service) => `${FLOOR_LABEL}=${service}`,
    async create(service: string, { replicas }: CreateOptions): Promise<void> {
      await Promise.all(
        Array.from({ length: replicas }, async (_, i) => {
          const container = await docker.createContainer({
            name: `${service}.${i + 1}`,
            Image: IMAGE,
            Cmd: [...REPLICA_COMMAND],
            Labels: { [FLOOR_LABEL]: service },
          });
          await container.start();
        }),
      );
    },
    async remove(service: string): Promise<void> {
      await removeContainersByLabel(docker, `${FLOOR_LABEL}=${service}`);
    },
  };
}
