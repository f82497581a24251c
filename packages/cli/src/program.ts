import { Argument, Command, CommanderError, Option } from 'commander';
import { connectControl } from './client.js';
import { infoCommand } from './commands/info.js';
import { versionCommand } from './commands/version.js';
import { registerSwarmCommands } from './commands/register-swarm.js';
import { registerSwarmUpdateCommand } from './commands/register-swarm-update.js';
import { registerSwarmCaCommand } from './commands/register-swarm-ca.js';
import { registerNodeCommands } from './commands/register-node.js';
import { registerServiceCommands } from './commands/register-service.js';
import { registerEventsCommand } from './commands/register-events.js';
import { registerNetworkCommands } from './commands/register-network.js';
import { registerSecretCommands } from './commands/register-secret.js';
import { registerConfigCommands } from './commands/register-config.js';
import { registerStackCommands } from './commands/register-stack.js';
import { registerPluginCommands } from './commands/register-plugin.js';
import { topCommand } from './commands/top.js';
import type { Terminal } from './terminal.js';
import { commandTree, completionScript, SHELLS, type CommandNode, type Shell } from './completion/index.js';
import type { ClientFacts, CommandContext } from './context.js';
import { CliError } from './errors.js';
import { DEFAULT_HOST, parseHost } from './host.js';
import { DEFAULT_TLS_DIR, loadControlTls, type ControlTls } from './tls-credentials.js';

/** Everything the CLI touches outside itself, so tests can run it in-process too. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly client: ClientFacts;
  readonly stdoutIsTty?: boolean;
  /** One line of standard input, undefined at its end (questions such as plugin install's). */
  readLine?(): Promise<string | undefined>;
  /** Set when standard input and output are a terminal. */
  readonly terminal?: Terminal;
}

/** Runs one `flotilla` invocation and returns its exit code; never throws. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version have been printed already; usage errors become one line.
      if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
        return err.exitCode;
      }
      const reason = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      io.err(`flotilla: ${reason} (see 'flotilla --help')\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`flotilla: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`flotilla: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command('flotilla')
    .description('Container orchestration that does what Docker swarm mode does; commands follow the docker CLI.')
    .version(`flotilla version ${io.client.version}`, '-v, --version', 'print the version and exit')
    .addOption(
      new Option('-H, --host <url>', 'flotillad to talk to: unix:///path.sock, or tcp://MANAGER[:2377] over mutual TLS (env FLOTILLA_HOST)').default(
        io.env['FLOTILLA_HOST'] || DEFAULT_HOST,
      ),
    )
    .addOption(
      new Option('--tls-dir <dir>', "for tcp:// hosts: a manager's node.crt, node.key and ca.crt; the server must prove it is a manager of that CA's cluster (env FLOTILLA_TLS_DIR)").default(
        io.env['FLOTILLA_TLS_DIR'] || DEFAULT_TLS_DIR,
      ),
    )
    .addHelpText(
      'after',
      '\nA remote manager: flotilla -H tcp://MANAGER:2377 --tls-dir DIR <command>. The control API on port 2377 needs mutual TLS\n' +
        "with a manager's certificate of the cluster (a worker's is refused); there is no plaintext TCP. --tls-dir defaults to\n" +
        `this machine's flotillad certificates (${DEFAULT_TLS_DIR}).\n`,
    )
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t), outputError: () => {} });

  // For a tcp:// host the certificates are read once before the command runs (commander awaits this).
  let tls: ControlTls | undefined;
  program.hook('preAction', async (_program, action) => {
    const globals = action.optsWithGlobals<{ host: string; tlsDir: string }>();
    if (parseHost(globals.host).transport === 'tcp') tls = await loadControlTls(globals.tlsDir);
  });
  const context = (command: Command): CommandContext => {
    const host = parseHost(command.optsWithGlobals<{ host: string }>().host);
    const connect = () => connectControl(host, undefined, tls);
    return { host, client: io.client, out: io.out, warn: io.err, connect, tty: Boolean(io.stdoutIsTty), ...(io.readLine ? { readLine: io.readLine } : {}), ...(io.terminal ? { terminal: io.terminal } : {}) };
  };

  program
    .command('version')
    .description('show the flotilla CLI and flotillad versions')
    .action((_opts: unknown, command: Command) => versionCommand(context(command)));
  program
    .command('info')
    .description('show node, swarm and Docker Engine information from flotillad')
    .action((_opts: unknown, command: Command) => infoCommand(context(command)));
  registerSwarmCommands(program, context);
  registerSwarmUpdateCommand(program, context);
  registerSwarmCaCommand(program, context);
  registerNodeCommands(program, context);
  registerServiceCommands(program, context);
  registerEventsCommand(program, context);
  registerNetworkCommands(program, context);
  registerSecretCommands(program, context);
  registerConfigCommands(program, context);
  registerStackCommands(program, context);
  registerPluginCommands(program, context);
  program
    .command('top')
    .description('live view of nodes, services and recent events, redrawn as the swarm changes; q quits (one snapshot when not on a terminal)')
    .action((_opts: unknown, command: Command) => topCommand(context(command)));
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish), generated from these commands')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .addHelpText('after', '\nbash: source <(flotilla completion bash)\nzsh:  source <(flotilla completion zsh)   (after compinit)\nfish: flotilla completion fish > ~/.config/fish/completions/flotilla.fish\n')
    .action((shell: Shell) => io.out(completionScript(shell, commandTree(program))));
  return program;
}

/** The CLI's command tree, as `completion` and the docs' command table read it. */
export function describeCli(): CommandNode {
  const quiet = (): void => {};
  return commandTree(buildProgram({ out: quiet, err: quiet, env: {}, client: { version: '0.0.0', runtimeVersion: '', os: '', arch: '' } }));
}
