import type { Command } from 'commander';

/** One command of the CLI as completion and the docs see it: read from commander, never written by hand. */
export interface CommandNode {
  /** Words from the root, e.g. ['swarm', 'join-token']; [] for the root. */
  readonly path: readonly string[];
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Usage after the command's path, e.g. "[options] SERVICE=N...". */
  readonly usage: string;
  readonly options: readonly OptionNode[];
  /** The fixed values of the first argument, if it has any (`completion <bash|zsh|fish>`). */
  readonly argumentChoices: readonly string[];
  readonly children: readonly CommandNode[];
}

export interface OptionNode {
  /** Every spelling, e.g. ['-q', '--quiet']. */
  readonly flags: readonly string[];
  /** The next word is this option's value (`-H unix:///x.sock`), not a command. */
  readonly takesValue: boolean;
  readonly description: string;
}

const HELP_OPTION: OptionNode = { flags: ['-h', '--help'], takesValue: false, description: 'display help for command' };

/** The command tree under `command` (hidden commands left out), with --help on every level. */
export function commandTree(command: Command, parentPath: readonly string[] = []): CommandNode {
  const isRoot = command.parent === null;
  const path = isRoot ? [] : [...parentPath, command.name()];
  const options: OptionNode[] = command.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => typeof f === 'string'),
      takesValue: o.required || o.optional,
      description: o.description,
    }));
  options.push(HELP_OPTION);
  const children = command.commands.filter((c) => !isHidden(c)).map((c) => commandTree(c, path));
  const argumentChoices = command.registeredArguments[0]?.argChoices ?? [];
  return { path, name: command.name(), aliases: command.aliases(), description: command.description(), usage: command.usage(), options, argumentChoices, children };
}

/** Every command below the root, depth first in registration order. */
export function flattenCommands(root: CommandNode): CommandNode[] {
  return root.children.flatMap((c) => [c, ...flattenCommands(c)]);
}

function isHidden(command: Command): boolean {
  // commander keeps a command's hidden flag private (`.command(name, { hidden: true })`).
  return (command as unknown as { _hidden?: boolean })._hidden === true;
}
