import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { swarmInitCommand, swarmJoinCommand, swarmJoinTokenCommand, swarmLeaveCommand } from './swarm.js';

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
    .action((opts, command: Command) => swarmInitCommand(context(command), opts));
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
    .argument('<role>', 'worker or manager')
    .option('-q, --quiet', 'only display the token')
    .option('--rotate', 'rotate the join token')
    .action((role: string, opts, command: Command) => swarmJoinTokenCommand(context(command), role, opts));
  swarm
    .command('leave')
    .description('leave the swarm')
    .option('-f, --force', 'force this node to leave the swarm, ignoring warnings')
    .action((opts, command: Command) => swarmLeaveCommand(context(command), opts));
}
