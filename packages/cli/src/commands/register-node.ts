import type { Command } from 'commander';
import { nodeInspectCommand, nodeLsCommand, nodeUpdateCommand } from './node.js';
import { nodePsCommand, nodeRmCommand } from './node-tasks.js';
import type { ContextOf } from './register-swarm.js';
import { registerNodeRoleCommands } from './node-role.js';
import { taskListOptions, type TaskListFlags } from './task-list.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerNodeCommands(program: Command, context: ContextOf): void {
  const node = program.command('node').description('manage swarm nodes');
  node
    .command('ls')
    .alias('list')
    .description('list nodes in the swarm')
    .option('-f, --filter <filter>', 'filter output: id, label, membership, name, node.label, role (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display IDs')
    .action((opts, command: Command) => nodeLsCommand(context(command), opts));
  node
    .command('inspect')
    .description('display detailed information on one or more nodes ("self" for this one)')
    .argument('[nodes...]', 'node IDs or hostnames', [])
    .option('-f, --format <format>', 'format the output using a Go template')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts, command: Command) => nodeInspectCommand(context(command), refs, opts));
  node
    .command('update')
    .description('update a node')
    .argument('<node>', 'node ID or hostname')
    .option('--availability <availability>', 'availability of the node ("active"|"pause"|"drain")')
    .option('--label-add <key=value>', 'add or update a node label (repeatable)', collect, [])
    .option('--label-rm <key>', 'remove a node label if exists (repeatable)', collect, [])
    .option('--role <role>', 'role of the node ("worker"|"manager")')
    .action((ref: string, opts, command: Command) => nodeUpdateCommand(context(command), ref, opts));
  node
    .command('ps')
    .description('list tasks running on one or more nodes, defaults to the current node ("self")')
    .argument('[nodes...]', 'node IDs or hostnames', [])
    .option('-f, --filter <filter>', 'filter output: desired-state, id, label, name, node (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('--no-resolve', 'do not map IDs to names')
    .option('--no-trunc', 'do not truncate output')
    .option('-q, --quiet', 'only display task IDs')
    .action((refs: string[], opts: TaskListFlags, command: Command) => nodePsCommand(context(command), refs, taskListOptions(opts)));
  node
    .command('rm')
    .alias('remove')
    .description('remove one or more nodes from the swarm; their certificates are refused from then on')
    .argument('<nodes...>', 'node IDs or hostnames')
    .option('-f, --force', 'force remove a node that is not down')
    .action((refs: string[], opts: { force?: boolean }, command: Command) => nodeRmCommand(context(command), refs, opts));
  registerNodeRoleCommands(node, context);
}
