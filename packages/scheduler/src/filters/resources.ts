import type { Filter } from './filter.js';
import { nodeCount, verb } from './filter.js';
import { reservationsOf } from '../node-info.js';

/**
 * The task's reservations must fit in what the node has left after the
 * reservations of the tasks already on it. Tasks without reservations fit anywhere.
 */
export const resourcesFilter: Filter = {
  name: 'resources',
  // Capacity only shrinks during a batch, so a node too small once stays too small.
  batchKey: (task) => {
    const r = reservationsOf(task);
    return `${r.nanoCpus}/${r.memoryBytes}`;
  },
  forTask: (task) => {
    const wanted = reservationsOf(task);
    if (wanted.nanoCpus === 0 && wanted.memoryBytes === 0) return null;
    return (info) => {
      const shortCpu = wanted.nanoCpus > info.available.nanoCpus;
      const shortMemory = wanted.memoryBytes > info.available.memoryBytes;
      if (!shortCpu && !shortMemory) return null;
      return shortCpu && shortMemory ? 'cpu and memory' : shortCpu ? 'cpu' : 'memory';
    };
  },
  explain: (n) => `${nodeCount(n)} ${verb(n, 'has', 'have')} insufficient resources`,
};
