import type { Filter } from './filter.js';

/**
 * docker's --replicas-max-per-node: a node already running `maxReplicas` tasks of the service
 * takes no more. The words are docker's, without a node count, as SwarmKit prints them.
 */
export const maxReplicasFilter: Filter = {
  name: 'max-replicas',
  // Counts only grow while a batch is placed, so a node at the limit stays there (the scheduler
  // groups by service, so the key needs only the limit).
  batchKey: (task) => String(task.spec?.placement?.maxReplicas ?? 0),
  forTask: (task) => {
    const max = task.spec?.placement?.maxReplicas ?? 0;
    if (max <= 0) return null;
    return (info) => ((info.tasksByService.get(task.serviceId) ?? 0) < max ? null : '');
  },
  explain: () => 'max replicas per node limit exceed',
};
