import { NodeState } from '@flotilla/api';
import type { Filter } from './filter.js';
import { nodeCount } from './filter.js';

/** Only nodes whose agent is connected and reported READY can take tasks. */
export const readyFilter: Filter = {
  name: 'ready',
  staticKey: () => '',
  forTask: () => (info) => (info.node.status?.state === NodeState.NODE_STATE_READY ? null : ''),
  explain: (n) => `${nodeCount(n)} not ready`,
};
