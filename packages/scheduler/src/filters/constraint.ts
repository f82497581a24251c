import { formatConstraint, parseConstraints, type Constraint } from '@flotilla/api';
import type { Filter } from './filter.js';
import { nodeCount, verb } from './filter.js';
import { unmetConstraints } from '@flotilla/api';

/** Prefix of the detail a task with unparsable constraints reports for every node. */
const INVALID = 'invalid: ';

/**
 * Placement constraints (`node.labels.storage==ssd`, `node.role!=manager`, ...)
 * must all hold on the node. A task whose constraints do not parse fits
 * nowhere: placing it while ignoring what the user asked would be worse.
 */
export const constraintFilter: Filter = {
  name: 'constraint',
  staticKey: (task) => (task.spec?.placement?.constraints ?? []).join('\n'),
  forTask: (task) => {
    const exprs = task.spec?.placement?.constraints ?? [];
    if (exprs.length === 0) return null;
    let constraints: Constraint[];
    try {
      constraints = parseConstraints(exprs);
    } catch (err) {
      const why = INVALID + (err instanceof Error ? err.message : String(err));
      return () => why;
    }
    return (info) => {
      const unmet = unmetConstraints(constraints, info.node);
      return unmet.length === 0 ? null : unmet.map(formatConstraint).join(', ');
    };
  },
  explain: (n, details) => {
    const invalid = details.find((d) => d.startsWith(INVALID));
    if (invalid !== undefined) return `placement constraints are ${invalid}`;
    const unmet = [...new Set(details.flatMap((d) => d.split(', ')))];
    return `${nodeCount(n)} ${verb(n, 'does', 'do')} not satisfy ${unmet.join(', ')}`;
  },
};
