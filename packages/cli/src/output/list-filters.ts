// docker's `--filter` for the CLI's lists: the keys and matching of @flotilla/docker-shape,
// refusals as CLI errors (a value that is not key=value is a usage error, exit 2; a key or
// value the list does not take is refused as the daemon refuses it, exit 1). Checked before
// anything is asked of the daemon.
import { TaskState } from '@flotilla/api';
import { FilterError, filtersFor, type FilterKind, type Filters } from '@flotilla/docker-shape';
import { CliError } from '../errors.js';

export function listFilters(kind: FilterKind, values: readonly string[] | undefined): Filters {
  try {
    return filtersFor(kind, values ?? []);
  } catch (err) {
    if (err instanceof FilterError) throw new CliError(err.message, err.usage ? 2 : 1);
    throw err;
  }
}

/**
 * The desired states a task filter names, for the daemon to select by (the filter still runs
 * on what comes back); empty when it names none.
 */
export function desiredStatesOf(f: Filters): TaskState[] {
  return (f.get('desired-state') ?? []).filter((v) => v !== '').map((v) => `TASK_STATE_${v.toUpperCase()}` as TaskState);
}

/** A task filter's `node` values as node ids: hostnames the listing resolved become their ids. */
export function withNodeIds(f: Filters, hostnames: Readonly<Record<string, string>>, selfId?: string): Filters {
  const nodes = f.get('node');
  if (!nodes) return f;
  const byName = new Map(Object.entries(hostnames).map(([id, name]) => [name, id]));
  const out = new Map(f);
  out.set(
    'node',
    nodes.map((v) => (v === 'self' && selfId ? selfId : (byName.get(v) ?? v))),
  );
  return out;
}
