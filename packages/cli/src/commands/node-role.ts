import { NodeAvailability, NodeRole, type NodeView } from '@flotilla/api';
import type { Command } from 'commander';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import type { ContextOf } from './register-swarm.js';
import { eachTarget } from './each-target.js';

const ROLES: Readonly<Record<string, NodeRole>> = { manager: NodeRole.NODE_ROLE_MANAGER, worker: NodeRole.NODE_ROLE_WORKER };

/** `--role manager|worker` as the api's role; a usage error (exit 2) otherwise. */
export function parseRole(value: string): NodeRole {
  const role = ROLES[value];
  if (!role) throw new CliError(`invalid argument "${value}" for "--role" flag: expected manager or worker`, 2);
  return role;
}

/** The role asked for: the one the operator set, or what the node is when nothing was asked. */
function wantedRole(v: NodeView): NodeRole {
  return v.node?.spec?.desiredRole ?? v.node?.role ?? NodeRole.NODE_ROLE_WORKER;
}

/** What docker prints for a promote/demote of one node. */
export function roleChangeMessage(ref: string, role: NodeRole, changed: boolean): string {
  if (role === NodeRole.NODE_ROLE_MANAGER) return changed ? `Node ${ref} promoted to a manager in the swarm.` : `Node ${ref} is already a manager.`;
  return changed ? `Manager ${ref} demoted in the swarm.` : `Node ${ref} is already a worker.`;
}

/** Sets one node's desired role; false when it already was that. */
export async function setNodeRole(api: ControlApi, ref: string, role: NodeRole): Promise<{ before: NodeView; changed: boolean }> {
  const before = await api.getNode(ref);
  if (wantedRole(before) === role) return { before, changed: false };
  await api.updateNode({ node: ref, setAvailability: false, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE, labelAdd: {}, labelRm: [], setRole: true, role });
  return { before, changed: true };
}

/** `node promote` / `node demote`: every node is tried; the refusals are reported together (exit 1). */
export async function nodeRoleCommand(ctx: CommandContext, refs: string[], role: NodeRole): Promise<void> {
  if (refs.length === 0) throw new CliError(`"node ${role === NodeRole.NODE_ROLE_MANAGER ? 'promote' : 'demote'}" requires at least 1 argument`, 2);
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      const { changed } = await setNodeRole(api, ref, role);
      ctx.out(`${roleChangeMessage(ref, role, changed)}\n`);
    });
  } finally {
    api.close();
  }
}

export function registerNodeRoleCommands(node: Command, context: ContextOf): void {
  node
    .command('promote')
    .description('promote one or more nodes to manager in the swarm')
    .argument('<nodes...>', 'node IDs or hostnames')
    .action((refs: string[], _opts, command: Command) => nodeRoleCommand(context(command), refs, NodeRole.NODE_ROLE_MANAGER));
  node
    .command('demote')
    .description('demote one or more nodes from manager in the swarm')
    .argument('<nodes...>', 'node IDs or hostnames')
    .action((refs: string[], _opts, command: Command) => nodeRoleCommand(context(command), refs, NodeRole.NODE_ROLE_WORKER));
}
