import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { swarmInitCommand, swarmJoinCommand, swarmJoinTokenCommand, swarmLeaveCommand } from './swarm.js';
import { swarmBackupCommand, swarmRestoreCommand } from './swarm-backup.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export type ContextOf = (command: Command) => CommandContext;

export function registerSwarmCommands(program: Command, context: ContextOf): void {
  const swarm = program.command('swarm').description('manage the swarm');
  swarm
    .command('init')
    .description('initialize a swarm with this node as its first manager')
    .option('--advertise-addr <ip|interface[:port]>', 'address other nodes reach this one on')
    .option('--listen-addr <ip[:port]>', 'address the join/CA API listens on', '0.0.0.0:2377')
    .option('--cert-expiry <duration>', 'validity period for node certificates (default 2160h0m0s)')
    .option('--default-addr-pool <cidr>', 'default address pool overlay subnets are carved from (repeatable; default 10.0.0.0/8)', collect, [])
    .option('--default-addr-pool-mask-length <n>', 'mask length of the subnets carved from the default pools (default 24)')
    .option(
      '--force-new-cluster',
      "force create a new cluster from current state: on a manager that lost its quorum for good (restart it from its data dir first), the other managers are dropped from the Raft group, the state is kept, and this node becomes the only manager; the dropped managers' nodes stay listed but their certificates are refused (to bring one back: swarm leave --force on it, then join again). Keeps this manager's addresses and settings: no other init flag goes with it",
    )
    .action((opts, command: Command) =>
      swarmInitCommand(context(command), { ...opts, listenAddrGiven: command.getOptionValueSource('listenAddr') !== 'default' }),
    );
  swarm
    .command('join')
    .description('join a swarm as a node and/or manager')
    .argument('<host:port>', 'a manager of the swarm')
    .option('--token <token>', 'token for entry into the swarm')
    .option('--advertise-addr <ip|interface[:port]>', 'address other nodes reach this one on')
    .option('--listen-addr <ip[:port]>', 'address to listen on for managers')
    .action((remote: string, opts, command: Command) => swarmJoinCommand(context(command), remote, opts));
  swarm
    .command('join-token')
    .description('manage join tokens')
    .argument('<role>', 'worker, manager, or service (for `flotillad service <name>` processes)')
    .option('-q, --quiet', 'only display the token')
    .option('--rotate', 'rotate the join token')
    .action((role: string, opts, command: Command) => swarmJoinTokenCommand(context(command), role, opts));
  swarm
    .command('backup')
    .description(
      "write this manager's state to FILE: the swarm's store (after a read barrier: everything the swarm committed), its root CA key, join tokens, secrets and this manager's identity. " +
        'The file is written 0600: whoever reads it owns the swarm (it holds the CA key and every secret). Restore it with swarm restore',
    )
    .argument('<file>', 'where to write the backup')
    .action((file: string, _opts, command: Command) => swarmBackupCommand(context(command), file));
  swarm
    .command('restore')
    .description(
      'bring a swarm back from a backup FILE (swarm backup) onto a daemon that is in no swarm (start it on an empty data dir, on the address the backed-up manager had): ' +
        'it comes back as that manager, the only one, with the same cluster, root CA, join tokens, services, secrets and networks; the other managers of the backup are dropped as with --force-new-cluster',
    )
    .argument('<file>', 'a backup written by swarm backup')
    .action((file: string, _opts, command: Command) => swarmRestoreCommand(context(command), file));
  swarm
    .command('leave')
    .description('leave the swarm')
    .option('-f, --force', 'force this node to leave the swarm, ignoring warnings')
    .action((opts, command: Command) => swarmLeaveCommand(context(command), opts));
}
