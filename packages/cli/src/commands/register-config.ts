import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import { configCreateCommand, configInspectCommand, configLsCommand, configRmCommand } from './config.js';
import { readInput } from './register-secret.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerConfigCommands(program: Command, context: ContextOf): void {
  const config = program.command('config').description('manage swarm configs (immutable files given to services)');
  config
    .command('create')
    .description('create a config from a file or from standard input ("-"); at most 1000 KiB')
    .argument('<name>', 'config name')
    .argument('<file>', 'file holding the data, or "-" to read standard input')
    .option('-l, --label <key=value>', 'config label (repeatable)', collect, [])
    .action((name: string, file: string, opts, command: Command) => configCreateCommand(context(command), readInput, name, file, opts));
  config
    .command('ls')
    .alias('list')
    .description('list configs')
    .option('-f, --filter <filter>', 'filter output: id, label, name (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display IDs')
    .action((opts, command: Command) => configLsCommand(context(command), opts));
  config
    .command('inspect')
    .description('display detailed information on one or more configs, data included')
    .argument('<configs...>', 'config names or IDs')
    .option('-f, --format <format>', 'format the output using a Go template')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts, command: Command) => configInspectCommand(context(command), refs, opts));
  config
    .command('rm')
    .alias('remove')
    .description('remove one or more configs (refused while a service uses them)')
    .argument('<configs...>', 'config names or IDs')
    .action((refs: string[], _opts, command: Command) => configRmCommand(context(command), refs));
}
