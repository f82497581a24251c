import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import {
  pluginCreateCommand,
  pluginDisableCommand,
  pluginEnableCommand,
  pluginInspectCommand,
  pluginInstallCommand,
  pluginLsCommand,
  pluginRmCommand,
  pluginSetCommand,
  pluginUpgradeCommand,
} from './plugin.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerPluginCommands(program: Command, context: ContextOf): void {
  const plugin = program
    .command('plugin')
    .description('manage plugins: authorization plugins and volume drivers, run on the nodes with the privileges you grant')
    .addHelpText(
      'after',
      '\nA plugin is a folder or .tar.gz with Docker\'s config.json and rootfs/, or a local image holding /config.json.\n' +
        'Flotilla never pulls: SRC is a path or an image already on the manager\'s Docker Engine.\n',
    );
  plugin
    .command('install')
    .description('install a plugin: shows the privileges it asks for and asks you to grant them')
    .argument('<src>', 'plugin folder, .tar.gz, or local image')
    .argument('[settings...]', 'KEY=VALUE settings (env, mount.source, device.path, args)')
    .option('--grant-all-permissions', 'grant all permissions necessary to run the plugin')
    .option('--disable', 'do not enable the plugin on install')
    .option('--alias <name>', 'local name for the plugin')
    .action((src: string, settings: string[], opts, command: Command) => pluginInstallCommand(context(command), src, settings, opts));
  plugin
    .command('ls')
    .alias('list')
    .description('list plugins')
    .option('-q, --quiet', 'only display plugin IDs')
    .option('-f, --filter <filter>', 'filter output: enabled=true|false, capability=authz|volumedriver (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('--no-trunc', "don't truncate output")
    .action((opts, command: Command) => pluginLsCommand(context(command), opts));
  plugin
    .command('inspect')
    .description('display detailed information on one or more plugins')
    .argument('<plugins...>', 'plugin names or IDs')
    .option('-f, --format <format>', "format the output using a Go template, e.g. '{{.Enabled}}' or '{{json .Config}}'")
    .action((refs: string[], opts, command: Command) => pluginInspectCommand(context(command), refs, opts));
  plugin
    .command('enable')
    .description('enable a plugin (it starts on the managers; authorization plugins then see every call)')
    .argument('<plugin>', 'plugin name or ID')
    .option('--timeout <seconds>', 'HTTP client timeout (in seconds)', '30')
    .action((ref: string, opts, command: Command) => pluginEnableCommand(context(command), ref, opts));
  plugin
    .command('disable')
    .description('disable a plugin (always allowed from the local socket for authorization plugins)')
    .argument('<plugin>', 'plugin name or ID')
    .option('-f, --force', 'force the disable of an active plugin')
    .action((ref: string, opts, command: Command) => pluginDisableCommand(context(command), ref, opts));
  plugin
    .command('rm')
    .alias('remove')
    .description('remove one or more plugins (refused while enabled, unless -f)')
    .argument('<plugins...>', 'plugin names or IDs')
    .option('-f, --force', 'force the removal of an active plugin')
    .action((refs: string[], opts, command: Command) => pluginRmCommand(context(command), refs, opts));
  plugin
    .command('set')
    .description('change settings of a disabled plugin')
    .argument('<plugin>', 'plugin name or ID')
    .argument('[settings...]', 'KEY=VALUE settings')
    .action((ref: string, settings: string[], _opts, command: Command) => pluginSetCommand(context(command), ref, settings));
  plugin
    .command('upgrade')
    .description('upgrade a disabled plugin: shows the privileges the new version asks for and asks again')
    .argument('<plugin>', 'plugin name or ID')
    .argument('<src>', 'plugin folder, .tar.gz, or local image')
    .option('--grant-all-permissions', 'grant all permissions necessary to run the plugin')
    .action((ref: string, src: string, opts, command: Command) => pluginUpgradeCommand(context(command), ref, src, opts));
  plugin
    .command('create')
    .description('create a plugin from a folder with config.json and rootfs/ (installed disabled)')
    .argument('<name>', 'plugin name')
    .argument('<dir>', 'folder with config.json and rootfs/')
    .action((name: string, dir: string, _opts, command: Command) => pluginCreateCommand(context(command), name, dir));
}
