import { DockerExecutor } from '@flotilla/agent';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';

/** Like `docker swarm leave`: the node's task containers go with it (found by their io.flotilla.node.id label). */
export async function removeTaskContainers(config: DaemonConfig, nodeId: string, log: Logger): Promise<void> {
  const executor = new DockerExecutor(config.dockerHost.url);
  const containers = await executor.listTaskContainers(nodeId);
  for (const [taskId, c] of containers) {
    await executor.remove(c.Id).catch((err: unknown) => log.warn({ err, taskId, containerId: c.Id }, 'removing a task container on leave failed'));
  }
  log.info({ nodeId, removed: containers.size }, 'task containers removed on leave');
}
