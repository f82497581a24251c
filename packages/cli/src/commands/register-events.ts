import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { eventsCommand } from './events.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerEventsCommand(program: Command, context: (command: Command) => CommandContext): void {
  program
    .command('events')
    .description('get real time events from the swarm (its store changes), until Ctrl-C or --until')
    .option('-f, --filter <filter>', 'filter output: type=service|node|task|network, event=create|update|remove (repeatable)', collect, [])
    .option('--since <time>', 'show the kept events since a time (RFC 3339, unix seconds, or relative like 10m)')
    .option('--until <time>', 'stream events until this time')
    .option('--format <format>', 'print each event as JSON ("json")')
    .action((opts, command: Command) => eventsCommand(context(command), opts));
}
