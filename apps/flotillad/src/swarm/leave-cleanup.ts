import { DockerExecutor, localRunner, OverlayNetworks } from '@flotilla/agent';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { removeNodeLbLeftovers } from '../node-lb/node-lb.js';
import { plumbsOverlays } from './local-agent.js';

/** Like `docker swarm leave`: the node's task containers go with it (found by their io.flotilla.node.id label). */
export async function removeTaskContainers(config: DaemonConfig, nodeId: string, log: Logger): Promise<void> {
  const executor = new DockerExecutor(config.dockerHost.url);
  const containers = await executor.listTaskContainers(nodeId);
  for (const [taskId, c] of containers) {
    await executor.remove(c.Id).catch((err: unknown) => log.warn({ err, taskId, containerId: c.Id }, 'removing a task container on leave failed'));
  }
  log.info({ nodeId, removed: containers.size }, 'task containers removed on leave');
}

/**
 * After leaving, every overlay this node plumbed goes too: its bridge and VXLAN devices and its
 * Docker networks (`flotilla-ovl-*`), the ingress network's included, and any load-balancer
 * iptables chain of this daemon still there (see removeNodeLbLeftovers). A daemon that only stops
 * keeps them, so the agent re-adopts them at the next start. Run after the task containers are
 * gone (the engine refuses to remove a network still in use). A node advertising a loopback
 * address plumbs no overlays and shares its namespace and engine with other daemons: nothing
 * there is ours to remove. Never throws: the node has left either way; the log says what stayed.
 */
export async function removeNodeNetworking(config: DaemonConfig, nodeId: string, advertiseHost: string, agentDir: string, log: Logger): Promise<void> {
  if (!plumbsOverlays(advertiseHost)) return;
  await removeNodeLbLeftovers(agentDir, log).catch((err: Error) => log.error({ nodeId, err: err.message }, 'removing load-balancer iptables chains on leave: some stay behind'));
  const executor = new DockerExecutor(config.dockerHost.url);
  const networks = new OverlayNetworks({ run: localRunner, docker: executor.docker, localAddr: advertiseHost, logger: log });
  try {
    const gone = await networks.prune([]);
    log.info({ nodeId, dockerNetworks: gone.dockerNetworks, vnis: gone.vnis }, 'overlay networks removed on leave');
  } catch (err) {
    log.error({ nodeId, err: (err as Error).message }, 'removing overlay networks on leave: some stay behind');
  }
}
