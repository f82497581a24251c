import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { serviceLogsCommand } from './service-logs.js';

/** `service logs` under the `service` command. */
export function registerServiceLogsCommand(service: Command, context: (command: Command) => CommandContext): void {
  service
    .command('logs')
    .description('fetch the logs of a service or task (every task, wherever it runs)')
    .argument('<service|task>', 'service name or ID, or task ID')
    .option('-f, --follow', 'follow log output (also of tasks started later) until Ctrl-C or the service is removed')
    .option('-n, --tail <lines>', 'number of lines to show from the end of each task\'s log ("all" for everything)')
    .option('--since <time>', 'show logs since a time (e.g. 2026-11-25T22:00:00Z) or relative (e.g. 42m)')
    .option('-t, --timestamps', 'show timestamps')
    .option('--no-task-ids', 'do not include task IDs in the output')
    .option('--no-trunc', 'do not truncate IDs')
    .action((target: string, opts, command: Command) => serviceLogsCommand(context(command), target, { ...opts, noTrunc: opts.trunc === false }));
}
