import { createNodeMetrics, serveMetrics, type RaftFacts } from '@flotilla/metrics';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { SwarmController } from '../swarm/swarm-controller.js';

/**
 * `--metrics-addr`: Prometheus metrics of this node, read from what `info` and the store show at
 * each scrape, plus the leader changes and proposal times of each manager runtime's Raft member
 * from its start. Undefined when the flag is absent.
 */
export async function startNodeMetrics(config: DaemonConfig, swarm: SwarmController, log: Logger): Promise<{ stop(): Promise<void> } | undefined> {
  if (!config.metricsAddr) return undefined;
  const metrics = createNodeMetrics({
    swarm: () => swarm.info(),
    cluster: () => {
      const view = swarm.manager?.member.store.view();
      return view ? { nodes: view.nodes.all(), services: view.services.all(), tasks: view.tasks.all() } : undefined;
    },
    raft: (): RaftFacts | undefined => {
      const member = swarm.manager?.member;
      if (!member) return undefined;
      const s = member.status();
      const snapshot = member.stats.lastSnapshot;
      return {
        term: s.term,
        commit: s.commit,
        applied: s.applied,
        snapshotIndex: s.snapshotIndex,
        voters: s.voters.length,
        isLeader: member.isLeader,
        ...(snapshot ? { lastSnapshotSeconds: snapshot.totalMs / 1000 } : {}),
      };
    },
  });
  const offManagers = swarm.onManagerStarted((runtime) => {
    runtime.member.onLeaderChange(() => metrics.leaderChanged());
    runtime.member.onProposalDone((seconds, ok) => metrics.storeWrite(seconds, ok ? 'ok' : 'error'));
  });
  const server = await serveMetrics(metrics, config.metricsAddr);
  log.info({ metricsAddr: `${server.addr.host}:${server.addr.port}` }, 'serving Prometheus metrics at /metrics');
  return {
    async stop() {
      offManagers();
      await server.close();
    },
  };
}
