import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import {
  serviceCreateCommand,
  serviceInspectCommand,
  serviceLsCommand,
  servicePsCommand,
  serviceRmCommand,
  serviceScaleCommand,
} from './service.js';
import { serviceRollbackCommand, serviceUpdateCommand } from './service-update.js';
import { registerServiceLogsCommand } from './register-logs.js';
import { taskListOptions, type TaskListFlags } from './task-list.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerServiceCommands(program: Command, context: ContextOf): void {
  const service = program.command('service').description('manage swarm services').enablePositionalOptions();
  service
    .command('create')
    .description('create a new service')
    .argument('<image>', 'image to run (never pulled: it must be on every node)')
    .argument('[command...]', 'command and arguments')
    .passThroughOptions()
    .option('--name <name>', 'service name')
    .option('--replicas <n>', 'number of tasks')
    .option('--mode <mode>', 'service mode ("replicated"|"global"|"replicated-job"|"global-job")')
    .option('--max-concurrent <n>', 'replicated-job: tasks run at once (default: --replicas)')
    .option('--constraint <expr>', 'placement constraint, e.g. node.labels.ssd==true (repeatable)', collect, [])
    .option('--placement-pref <pref>', 'placement preference, e.g. spread=node.labels.zone (repeatable, nested in order)', collect, [])
    .option('--replicas-max-per-node <n>', 'maximum number of tasks per node (default 0 = unlimited)')
    .option('--network <network>', 'attach to an overlay network: NAME or name=NAME,alias=ALIAS (repeatable)', collect, [])
    .option('-p, --publish <port>', 'publish a port: [published:]target[/proto] or published=8080,target=80,protocol=udp,mode=host (repeatable)', collect, [])
    .option('--endpoint-mode <mode>', 'endpoint mode ("vip"|"dnsrr")')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect, [])
    .option('-l, --label <key=value>', 'service label (repeatable)', collect, [])
    .option('--container-label <key=value>', 'container label (repeatable)', collect, [])
    .option('--restart-condition <condition>', 'restart when condition is met ("none"|"on-failure"|"any")')
    .option('--restart-delay <duration>', 'delay between restart attempts (ns|us|ms|s|m|h)')
    .option('--restart-max-attempts <n>', 'maximum number of restarts before giving up')
    .option('--restart-window <duration>', 'window used to evaluate the restart policy')
    .option('--limit-cpu <cpus>', 'limit CPUs')
    .option('--limit-memory <bytes>', 'limit memory')
    .option('--reserve-cpu <cpus>', 'reserve CPUs')
    .option('--reserve-memory <bytes>', 'reserve memory')
    .option('--mount <mount>', 'attach a filesystem mount (type=bind,source=..,target=..) (repeatable)', collect, [])
    .option('--secret <secret>', 'give the service a secret: NAME or source=NAME,target=FILE,uid=,gid=,mode=0400 (repeatable)', collect, [])
    .option('--config <config>', 'give the service a config file: NAME or source=NAME,target=/PATH,uid=,gid=,mode=0444 (repeatable; default target /NAME)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('--hostname <name>', 'container hostname')
    .option('--entrypoint <cmd>', 'overwrite the default ENTRYPOINT of the image')
    .option('--stop-grace-period <duration>', 'time to wait before force killing a container')
    .option('--health-cmd <command>', 'command to run to check health (run by the shell in the container)')
    .option('--health-interval <duration>', 'time between running the check (ms|s|m|h)')
    .option('--health-timeout <duration>', 'maximum time to allow one check to run (ms|s|m|h)')
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy')
    .option('--health-start-period <duration>', 'start period for the container to initialize before counting retries')
    .option('--no-healthcheck', "disable any container-specified HEALTHCHECK (the image's too)")
    .option('-d, --detach', 'exit immediately instead of waiting for the service to converge')
    .action((image: string, args: string[], opts, command: Command) => serviceCreateCommand(context(command), image, args, opts));
  service
    .command('ls')
    .alias('list')
    .description('list services')
    .option('-f, --filter <filter>', 'filter output: id, label, mode, name (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('-q, --quiet', 'only display IDs')
    .action((opts, command: Command) => serviceLsCommand(context(command), opts));
  service
    .command('ps')
    .description('list the tasks of one or more services')
    .argument('<services...>', 'service names or IDs')
    .option('-f, --filter <filter>', 'filter output: desired-state, id, label, name, node (repeatable)', collect, [])
    .option('--format <format>', 'format output: "table", "table TEMPLATE", "json" or a Go template')
    .option('--no-resolve', 'do not map IDs to names')
    .option('--no-trunc', 'do not truncate output')
    .option('-q, --quiet', 'only display task IDs')
    .action((refs: string[], opts: TaskListFlags, command: Command) => servicePsCommand(context(command), refs, taskListOptions(opts)));
  service
    .command('inspect')
    .description('display detailed information on one or more services')
    .argument('<services...>', 'service names or IDs')
    .option('-f, --format <format>', 'format the output using a Go template')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts, command: Command) => serviceInspectCommand(context(command), refs, opts));
  service
    .command('scale')
    .description('scale one or multiple replicated services')
    .argument('<service=replicas...>', 'e.g. web=5')
    .option('-d, --detach', 'exit immediately instead of waiting for the service to converge')
    .action((args: string[], opts, command: Command) => serviceScaleCommand(context(command), args, opts));
  service
    .command('update')
    .description('update a service (rolling update of its tasks)')
    .argument('<service>', 'service name or ID')
    .option('--image <image>', 'service image tag')
    .option('--env-add <K=V>', 'add or update an environment variable (repeatable)', collect, [])
    .option('--env-rm <K>', 'remove an environment variable (repeatable)', collect, [])
    .option('--args <command>', 'service command args')
    .option('--replicas <n>', 'number of tasks')
    .option('--constraint-add <expr>', 'add or update a placement constraint (repeatable)', collect, [])
    .option('--constraint-rm <expr>', 'remove a constraint (repeatable)', collect, [])
    .option('--placement-pref-add <pref>', 'add a placement preference, e.g. spread=node.labels.zone (repeatable)', collect, [])
    .option('--placement-pref-rm <pref>', 'remove a placement preference (repeatable)', collect, [])
    .option('--replicas-max-per-node <n>', 'maximum number of tasks per node (0 = unlimited)')
    .option('--max-concurrent <n>', 'replicated-job: tasks run at once')
    .option('--label-add <key=value>', 'add or update a service label (repeatable)', collect, [])
    .option('--label-rm <key>', 'remove a label by its key (repeatable)', collect, [])
    .option('--secret-add <secret>', 'add or update a secret: NAME or source=NAME,target=FILE,uid=,gid=,mode= (repeatable)', collect, [])
    .option('--secret-rm <name>', 'remove a secret by name or target (repeatable)', collect, [])
    .option('--config-add <config>', 'add or update a config: NAME or source=NAME,target=/PATH,uid=,gid=,mode= (repeatable)', collect, [])
    .option('--config-rm <name>', 'remove a config by name or target (repeatable)', collect, [])
    .option('--network-add <network>', 'add a network: NAME or name=NAME,alias=ALIAS (repeatable)', collect, [])
    .option('--network-rm <network>', 'remove a network by the name or ID it was added with (repeatable)', collect, [])
    .option('--publish-add <port>', 'add or update a published port (as --publish) (repeatable)', collect, [])
    .option('--publish-rm <target[/proto]>', 'remove a published port by its target port (repeatable)', collect, [])
    .option('--mount-add <mount>', 'add or update a mount by its target (as --mount) (repeatable)', collect, [])
    .option('--mount-rm <target>', 'remove a mount by its target path (repeatable)', collect, [])
    .option('--limit-cpu <cpus>', 'limit CPUs (0 removes the limit)')
    .option('--limit-memory <bytes>', 'limit memory (0 removes the limit)')
    .option('--reserve-cpu <cpus>', 'reserve CPUs (0 removes the reservation)')
    .option('--reserve-memory <bytes>', 'reserve memory (0 removes the reservation)')
    .option('--restart-condition <condition>', 'restart when condition is met ("none"|"on-failure"|"any")')
    .option('--restart-delay <duration>', 'delay between restart attempts (ns|us|ms|s|m|h)')
    .option('--restart-max-attempts <n>', 'maximum number of restarts before giving up')
    .option('--restart-window <duration>', 'window used to evaluate the restart policy')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--hostname <name>', 'container hostname')
    .option('--entrypoint <cmd>', 'overwrite the default ENTRYPOINT of the image ("" for the image\'s)')
    .option('--stop-grace-period <duration>', 'time to wait before force killing a container')
    .option('--endpoint-mode <mode>', 'endpoint mode ("vip"|"dnsrr")')
    .option('--container-label-add <key=value>', 'add or update a container label (repeatable)', collect, [])
    .option('--container-label-rm <key>', 'remove a container label by its key (repeatable)', collect, [])
    .option('--force', 'force update even if no changes require it')
    .option('--health-cmd <command>', 'command to run to check health (run by the shell in the container)')
    .option('--health-interval <duration>', 'time between running the check (ms|s|m|h)')
    .option('--health-timeout <duration>', 'maximum time to allow one check to run (ms|s|m|h)')
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy')
    .option('--health-start-period <duration>', 'start period for the container to initialize before counting retries')
    .option('--no-healthcheck', "disable any container-specified HEALTHCHECK (the image's too)")
    .option('--update-parallelism <n>', 'maximum number of tasks updated simultaneously (0 to update all at once)')
    .option('--update-delay <duration>', 'delay between updates (ns|us|ms|s|m|h)')
    .option('--update-order <order>', 'update order ("start-first"|"stop-first")')
    .option('--update-failure-action <action>', 'action on update failure ("pause"|"continue"|"rollback")')
    .option('--update-monitor <duration>', 'duration after each task update to monitor for failure')
    .option('--update-max-failure-ratio <ratio>', 'failure rate to tolerate during an update')
    .option('--rollback-parallelism <n>', 'maximum number of tasks rolled back simultaneously (0 to roll back all at once)')
    .option('--rollback-delay <duration>', 'delay between task rollbacks')
    .option('--rollback-order <order>', 'rollback order ("start-first"|"stop-first")')
    .option('--rollback-failure-action <action>', 'action on rollback failure ("pause"|"continue")')
    .option('--rollback-monitor <duration>', 'duration after each task rollback to monitor for failure')
    .option('--rollback-max-failure-ratio <ratio>', 'failure rate to tolerate during a rollback')
    .option('-d, --detach', 'exit immediately instead of waiting for the update to finish')
    .action((ref: string, opts, command: Command) => serviceUpdateCommand(context(command), ref, opts));
  service
    .command('rollback')
    .description('revert changes to a service\'s configuration')
    .argument('<service>', 'service name or ID')
    .option('-d, --detach', 'exit immediately instead of waiting for the rollback to finish')
    .action((ref: string, opts, command: Command) => serviceRollbackCommand(context(command), ref, opts));
  registerServiceLogsCommand(service, context);
  service
    .command('rm')
    .alias('remove')
    .description('remove one or more services')
    .argument('<services...>', 'service names or IDs')
    .action((refs: string[], _opts, command: Command) => serviceRmCommand(context(command), refs));
}
