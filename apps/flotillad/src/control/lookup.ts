import type { Node, Service } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from './control-error.js';

/** Like docker: a full id, then a name, then a unique id prefix. */
export function findService(view: ReadTx, ref: string): Service {
  if (ref === '') throw invalidArgument('a service name or ID is required');
  const exact = view.services.get(ref) ?? view.services.byName(ref);
  if (exact) return exact;
  const byPrefix = [...view.services.all()].filter((s) => s.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalidArgument(`service ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw notFound(`service ${ref} not found`);
}

/** A full id, a hostname (when unique), or a unique id prefix. */
export function findNode(view: ReadTx, ref: string): Node {
  if (ref === '') throw invalidArgument('a node name or ID is required');
  const exact = view.nodes.get(ref);
  if (exact) return exact;
  const all = [...view.nodes.all()];
  const byName = all.filter((n) => n.description?.hostname === ref || n.spec?.annotations?.name === ref);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw invalidArgument(`node ${ref} is ambiguous (${byName.length} nodes have that name)`);
  const byPrefix = all.filter((n) => n.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalidArgument(`node ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw notFound(`node ${ref} not found`);
}
