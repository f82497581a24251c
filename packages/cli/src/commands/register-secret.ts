import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import { secretCreateCommand, secretInspectCommand, secretLsCommand, secretRmCommand, type ReadSecretInput } from './secret.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The edge: a file, or everything on standard input for "-". */
export const readInput: ReadSecretInput = async (source) => {
  if (source !== '-') return readFile(source);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
};

export function registerSecretCommands(program: Command, context: ContextOf): void {
  const secret = program.command('secret').description('manage swarm secrets (values are stored encrypted and never shown)');
  secret
    .command('create')
    .description('create a secret from a file or from standard input ("-")')
    .argument('<name>', 'secret name')
    .argument('<file>', 'file holding the value, or "-" to read standard input')
    .option('-l, --label <key=value>', 'secret label (repeatable)', collect, [])
    .action((name: string, file: string, opts, command: Command) => secretCreateCommand(context(command), readInput, name, file, opts));
  secret
    .command('ls')
    .alias('list')
    .description('list secrets')
    .option('-f, --filter <filter>', 'filter output: id, label, name, names (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display IDs')
    .action((opts, command: Command) => secretLsCommand(context(command), opts));
  secret
    .command('inspect')
    .description('display detailed information on one or more secrets (never their values)')
    .argument('<secrets...>', 'secret names or IDs')
    .option('-f, --format <format>', 'format the output using a Go template')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts, command: Command) => secretInspectCommand(context(command), refs, opts));
  secret
    .command('rm')
    .alias('remove')
    .description('remove one or more secrets (refused while a service uses them)')
    .argument('<secrets...>', 'secret names or IDs')
    .action((refs: string[], _opts, command: Command) => secretRmCommand(context(command), refs));
}
