import type { Network } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from './control-error.js';

/** Like docker: a full id, then a name, then a unique id prefix. */
export function findNetwork(view: ReadTx, ref: string): Network {
  if (ref === '') throw invalidArgument('a network name or ID is required');
  const exact = view.networks.get(ref) ?? view.networks.byName(ref);
  if (exact) return exact;
  const byPrefix = [...view.networks.all()].filter((n) => n.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw notFound(`network ${ref} not found`);
}
