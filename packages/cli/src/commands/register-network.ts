import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import { networkCreateCommand, networkInspectCommand, networkLsCommand, networkRmCommand } from './network.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerNetworkCommands(program: Command, context: ContextOf): void {
  const network = program.command('network').description('manage overlay networks');
  network
    .command('create')
    .description('create an overlay network')
    .argument('<name>', 'network name')
    .option('-d, --driver <driver>', 'driver to manage the network (only "overlay")', 'overlay')
    .option('--subnet <cidr>', 'subnet in CIDR format (default: one from the swarm\'s default address pool)', collect, [])
    .option('--gateway <ip>', 'IPv4 gateway for the subnet (default: its first address)', collect, [])
    .option('--attachable', 'enable manual container attachment')
    .option('--internal', 'restrict external access to the network')
    .option('--ingress', 'create the swarm routing-mesh network (only one may exist)')
    .option('-l, --label <key=value>', 'network label (repeatable)', collect, [])
    .action((name: string, opts, command: Command) => networkCreateCommand(context(command), name, opts));
  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-f, --filter <filter>', 'filter output: dangling, driver, id, label, name, scope, type (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display network IDs')
    .action((opts, command: Command) => networkLsCommand(context(command), opts));
  network
    .command('inspect')
    .description('display detailed information on one or more networks')
    .argument('<networks...>', 'network names or IDs')
    .option('-f, --format <format>', 'format the output using a Go template')
    .option('--pretty', 'print the information in a human friendly format (subnet, gateway, VXLAN id, services)')
    .option('-v, --verbose', 'verbose output for diagnostics (the services and their tasks)')
    .action((refs: string[], opts, command: Command) => networkInspectCommand(context(command), refs, opts));
  network
    .command('rm')
    .alias('remove')
    .description('remove one or more networks (refused while a service uses them)')
    .argument('<networks...>', 'network names or IDs')
    .action((refs: string[], _opts, command: Command) => networkRmCommand(context(command), refs));
}
