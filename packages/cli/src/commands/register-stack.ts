import { Command, Option } from 'commander';
import { taskListOptions, type TaskListFlags } from './task-list.js';
import type { ContextOf } from './register-swarm.js';
import { deployBundleCommand, stackConfigCommand, stackDeployCommand, stackLsCommand, stackPsCommand, stackRmCommand, stackServicesCommand, type StackIo } from './stack.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The edge: the process's standard input, environment and working directory. */
const processIo: StackIo = {
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
  cwd: process.cwd(),
};

const resolveImageOption = () =>
  new Option('--resolve-image <when>', 'check service images against the local Docker Engine: always, changed or never (there is no registry: nothing is pulled, a missing image is a warning)')
    .choices(['always', 'changed', 'never'])
    .default('always');

export function registerStackCommands(program: Command, context: ContextOf, io: StackIo = processIo): void {
  const stack = program.command('stack').description('manage stacks: services, networks, volumes, configs and secrets from a compose file (3.0-3.9) or a bundle');
  stack
    .command('deploy')
    .alias('up')
    .description('deploy a new stack or update an existing one (all or nothing: a refused deploy changes nothing)')
    .argument('<stack>', 'stack name')
    .option('-c, --compose-file <file>', 'path to a compose file, or "-" to read standard input (repeatable: later files override earlier ones)', collect, [])
    .option('--bundle-file <file>', 'path to a Distributed Application Bundle file (.dab)')
    .option('--prune', 'remove services that are no longer in the file')
    .addOption(resolveImageOption())
    .option('-d, --detach', 'exit at once instead of waiting for the services to converge')
    .addHelpText('after', '\nBeyond docker: depends_on is honoured. A service waits for its dependencies to start, be healthy or complete\n(condition service_started, service_healthy, service_completed_successfully) before its first tasks are created.\n')
    .action((name: string, opts: { composeFile: string[]; bundleFile?: string; prune?: boolean; resolveImage: string; detach?: boolean }, command: Command) =>
      stackDeployCommand(context(command), io, name, opts),
    );
  stack
    .command('ls')
    .alias('list')
    .description('list stacks')
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .action((opts: { format?: string }, command: Command) => stackLsCommand(context(command), opts));
  stack
    .command('services')
    .description('list the services in the stack')
    .argument('<stack>', 'stack name')
    .option('-f, --filter <filter>', 'filter output: id, label, mode, name (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display IDs')
    .action((name: string, opts: { quiet?: boolean; filter: string[]; format?: string }, command: Command) => stackServicesCommand(context(command), name, opts));
  stack
    .command('ps')
    .description('list the tasks in the stack')
    .argument('<stack>', 'stack name')
    .option('-f, --filter <filter>', 'filter output: desired-state, id, label, name, node (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('--no-resolve', 'do not map IDs to names')
    .option('--no-trunc', 'do not truncate output')
    .option('-q, --quiet', 'only display task IDs')
    .action((name: string, opts: TaskListFlags, command: Command) => stackPsCommand(context(command), name, taskListOptions(opts)));
  stack
    .command('rm')
    .alias('remove')
    .alias('down')
    .description('remove one or more stacks: services, then the networks, secrets and configs the stack created')
    .argument('<stacks...>', 'stack names')
    .action((names: string[], _opts, command: Command) => stackRmCommand(context(command), names));
  stack
    .command('config')
    .description('print the merged, interpolated compose file, as docker compose config does (no daemon needed)')
    .option('-c, --compose-file <file>', 'path to a compose file, or "-" (repeatable)', collect, [])
    .action((opts: { composeFile: string[] }, command: Command) => stackConfigCommand(context(command), io, opts));

  program
    .command('deploy')
    .description("deploy a stack from the bundle NAME.dab in the current directory (docker 1.12's deploy)")
    .argument('<stack>', 'stack name')
    .option('--bundle-file <file>', 'path to the bundle (default: NAME.dab)')
    .option('--prune', 'remove services that are no longer in the bundle')
    .addOption(resolveImageOption())
    .option('-d, --detach', 'exit at once instead of waiting for the services to converge')
    .action((name: string, opts: { bundleFile?: string; prune?: boolean; resolveImage: string; detach?: boolean }, command: Command) => deployBundleCommand(context(command), io, name, opts));
}
