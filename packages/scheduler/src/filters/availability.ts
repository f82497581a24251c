import { NodeAvailability } from '@flotilla/api';
import type { Filter } from './filter.js';
import { nodeCount } from './filter.js';

/** Paused and drained nodes keep what they run but take nothing new. */
export const availabilityFilter: Filter = {
  name: 'availability',
  staticKey: () => '',
  forTask: () => (info) =>
    (info.node.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE) ===
    NodeAvailability.NODE_AVAILABILITY_ACTIVE
      ? null
      : '',
  explain: (n) => `${nodeCount(n)} not available for new tasks`,
};
