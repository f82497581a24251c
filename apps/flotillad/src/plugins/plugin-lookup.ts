import type { Plugin } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ControlError } from '../control/control-error.js';

/** A plugin by id, name (NAME or NAME:TAG) or unique id prefix, like docker's lookups. */
export function lookupPlugin(view: ReadTx, ref: string): Plugin | undefined {
  const byId = view.plugins.get(ref);
  if (byId) return byId;
  const byName = view.plugins.byName(ref) ?? (ref.includes(':') ? undefined : view.plugins.byName(`${ref}:latest`));
  if (byName) return byName;
  if (ref.length < 3) return undefined;
  const matches = [...view.plugins.all()].filter((p) => p.id.startsWith(ref));
  return matches.length === 1 ? matches[0] : undefined;
}

export function findPlugin(view: ReadTx, ref: string): Plugin {
  const plugin = lookupPlugin(view, ref);
  if (!plugin) throw new ControlError(GrpcStatus.NOT_FOUND, `plugin "${ref}" not found`);
  return plugin;
}

/** Without its rootfs: what every control answer carries. */
export function pluginView(p: Plugin): Plugin {
  return { ...p, rootfs: Buffer.alloc(0) };
}
