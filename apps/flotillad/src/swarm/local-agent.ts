import type { NodeDescription } from '@flotilla/api';
import { Agent, DockerExecutor, describeNode, type VolumeDriverAccess } from '@flotilla/agent';
import type { BusConnection, ClusterSubjects } from '@flotilla/bus';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';

/** The worker side every node runs: the agent, driving the local Docker Engine. */
export async function startLocalAgent(options: {
  config: DaemonConfig;
  nodeId: string;
  /** The node's advertise address: its VXLAN endpoint for overlay networks. */
  advertiseHost: string;
  bus: BusConnection;
  subjects: ClusterSubjects;
  dataDir: string;
  log: Logger;
  /** Told the managers' join/CA addresses at every heartbeat (workers keep them). */
  onManagers?: (addrs: readonly string[]) => void;
  /** Volume driver plugins (issue 17). */
  volumeDrivers?: VolumeDriverAccess;
}): Promise<Agent> {
  const executor = new DockerExecutor(options.config.dockerHost.url);
  const describe = async (): Promise<NodeDescription> => {
    const fromEngine = await describeNode(executor.docker);
    // The node is known by the name flotillad was given, and carries its --label labels.
    return {
      ...fromEngine,
      hostname: options.config.nodeName,
      engine: { ...(fromEngine.engine ?? { engineVersion: '', plugins: [] }), labels: { ...fromEngine.engine?.labels, ...options.config.labels } },
    };
  };
  const agent = new Agent({
    nodeId: options.nodeId,
    nc: options.bus.nc,
    subjects: options.subjects,
    executor,
    dataDir: options.dataDir,
    logger: options.log.child({ component: 'agent' }),
    describe,
    ...(options.onManagers ? { onManagers: options.onManagers } : {}),
    ...(options.volumeDrivers ? { volumeDrivers: options.volumeDrivers } : {}),
    ...overlayOptions(options.advertiseHost, options.log),
  });
  await agent.start();
  return agent;
}

/**
 * Overlay networks need a network namespace of their own per node (the bridge and VXLAN device
 * names are the same on every node). Daemons advertising a loopback address are several nodes
 * on one machine sharing one namespace and one engine (development and loopback e2e clusters):
 * there tasks run without their overlay networks, as before, and the log says so.
 */
export function overlayOptions(advertiseHost: string, log: Logger): { overlay?: { localAddr: string } } {
  if (!plumbsOverlays(advertiseHost)) {
    log.warn({ advertiseHost }, 'overlay networks are not plumbed on a node advertising a loopback address; tasks run without them');
    return {};
  }
  return { overlay: { localAddr: advertiseHost } };
}

/** Whether a node advertising this address has overlay networks of its own (see overlayOptions). */
export function plumbsOverlays(advertiseHost: string): boolean {
  return !(advertiseHost === '' || advertiseHost.startsWith('127.') || advertiseHost === '::1');
}
