import { validateClusterSpec, type Cluster, type ClusterSpec, type ClusterView, type UpdateClusterRequest } from '@flotilla/api';
import type { Logger } from 'pino';
import { writeStore } from '../manager/store-writer.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { invalidArgument, unavailable } from './control-error.js';
import { unary } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

/** The request's changes over `current`; throws what is wrong with them (nothing is written then). */
export function updatedClusterSpec(current: ClusterSpec | undefined, req: UpdateClusterRequest): ClusterSpec {
  const problems: string[] = [];
  const positive = (value: number, flag: string) => {
    if (value < 0 || !Number.isInteger(value)) problems.push(`${flag} must be a positive duration, got ${value} ms`);
  };
  positive(req.dispatcherHeartbeatMs, '--dispatcher-heartbeat');
  positive(req.certExpiryMs, '--cert-expiry');
  positive(req.gossipKeyRotationMs, '--gossip-key-rotation');
  if (req.setTaskHistoryLimit && (req.taskHistoryLimit < 0 || !Number.isInteger(req.taskHistoryLimit))) {
    problems.push(`--task-history-limit must be 0 or more, got ${req.taskHistoryLimit}`);
  }
  if (problems.length > 0) throw invalidArgument(problems.join('; '));
  const base = current ?? {};
  return validateClusterSpec({
    ...base,
    orchestration: { ...base.orchestration, ...(req.setTaskHistoryLimit ? { taskHistoryRetentionLimit: req.taskHistoryLimit } : {}) },
    dispatcher: { ...base.dispatcher, ...(req.dispatcherHeartbeatMs > 0 ? { heartbeatPeriodMs: req.dispatcherHeartbeatMs } : {}) },
    caConfig: { externalCas: [], ...base.caConfig, ...(req.certExpiryMs > 0 ? { nodeCertExpiryMs: req.certExpiryMs } : {}) },
    gossip: { ...base.gossip, ...(req.gossipKeyRotationMs > 0 ? { keyRotationIntervalMs: req.gossipKeyRotationMs } : {}) },
  });
}

export function clusterView(cluster: Cluster): ClusterView {
  const spec = validateClusterSpec(cluster.spec ?? {});
  return {
    id: cluster.id,
    version: cluster.meta?.version ?? 0,
    dispatcherHeartbeatMs: spec.dispatcher?.heartbeatPeriodMs ?? 0,
    certExpiryMs: spec.caConfig?.nodeCertExpiryMs ?? 0,
    taskHistoryLimit: spec.orchestration?.taskHistoryRetentionLimit ?? 0,
    gossipKeyRotationMs: spec.gossip?.keyRotationIntervalMs ?? 0,
    gossipKeys: cluster.gossipKeys.length,
    gossipPrimaryCreatedMs: cluster.gossipKeys[0]?.createdAtMs ?? 0,
  };
}

const changes = (req: UpdateClusterRequest): boolean =>
  req.dispatcherHeartbeatMs !== 0 || req.certExpiryMs !== 0 || req.gossipKeyRotationMs !== 0 || req.setTaskHistoryLimit;

export function clusterHandlers(swarm: SwarmController, log: Logger) {
  return {
    updateCluster: unary(log, 'UpdateCluster', async (req: UpdateClusterRequest): Promise<ClusterView> => {
      const rt = await upToDateManager(swarm);
      if (changes(req)) {
        // Checked before the write so bad input changes nothing; checked again on the view the write sees.
        updatedClusterSpec(rt.cluster()?.spec, req);
        await writeStore(rt.member, (view, tx) => {
          const cluster = view.clusters.get(rt.state.clusterId);
          if (!cluster) throw unavailable(`cluster ${rt.state.clusterId} is not in the store yet`);
          tx.update('cluster', { ...cluster, spec: updatedClusterSpec(cluster.spec, req) });
        });
        log.info({ clusterId: rt.state.clusterId, change: req }, 'cluster settings updated');
      }
      const cluster = rt.cluster();
      if (!cluster) throw unavailable(`cluster ${rt.state.clusterId} is not in the store yet`);
      return clusterView(cluster);
    }),
  };
}
