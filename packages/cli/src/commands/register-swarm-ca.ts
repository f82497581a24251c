import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import { swarmCaCommand } from './swarm-ca.js';

/** `swarm ca [--rotate] [--detach]` (root CA rotation), under the `swarm` command registered by register-swarm.ts. */
export function registerSwarmCaCommand(program: Command, context: ContextOf): void {
  const swarm = program.commands.find((c) => c.name() === 'swarm');
  if (!swarm) throw new Error('register the swarm commands before swarm ca');
  swarm
    .command('ca')
    .description('display and rotate the root CA')
    .option('--rotate', 'rotate the swarm CA: a new root, cross-signed, rolled out to every node without downtime')
    .option('-d, --detach', 'exit immediately instead of waiting for the rotation to finish')
    .option('-q, --quiet', 'suppress progress output')
    .action((opts, command: Command) => swarmCaCommand(context(command), opts));
}
