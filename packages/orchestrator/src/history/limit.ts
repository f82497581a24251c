import type { Cluster, Service } from '@flotilla/api';

/**
 * The task history the cluster keeps (`swarm init/update --task-history-limit`): ended tasks per
 * slot, or per node for a global service. The cluster object's spec is the truth once the swarm
 * has one; `fallback` (the orchestrator's option) only stands in before it exists.
 */
export function historyLimit(cluster: Cluster | undefined, fallback: number): number {
  const limit = cluster?.spec?.orchestration?.taskHistoryRetentionLimit;
  return limit === undefined ? fallback : limit;
}

/**
 * Ended tasks to keep for one service: the cluster's limit, but never fewer than the restart
 * policy's max attempts + 1, because the supervisor counts a slot's past failures from them.
 */
export function historyToKeep(service: Service, limit: number): number {
  const maxAttempts = service.spec?.task?.restart?.maxAttempts ?? 0;
  return Math.max(limit, maxAttempts > 0 ? maxAttempts + 1 : 0);
}
