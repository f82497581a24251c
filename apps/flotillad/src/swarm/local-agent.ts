import type { NodeDescription } from '@flotilla/api';
import { Agent, DockerExecutor, describeNode } from '@flotilla/agent';
import type { BusConnection, ClusterSubjects } from '@flotilla/bus';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';

/** The worker side every node runs: the agent, driving the local Docker Engine. */
export async function startLocalAgent(options: {
  config: DaemonConfig;
  nodeId: string;
  bus: BusConnection;
  subjects: ClusterSubjects;
  dataDir: string;
  log: Logger;
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
  });
  await agent.start();
  return agent;
}
