import type { Command } from 'commander';
import type { ContextOf } from './register-swarm.js';
import { swarmUpdateCommand } from './swarm-update.js';

/** `swarm update` (issue 8), under the `swarm` command registered by register-swarm.ts. */
export function registerSwarmUpdateCommand(program: Command, context: ContextOf): void {
  const swarm = program.commands.find((c) => c.name() === 'swarm');
  if (!swarm) throw new Error('register the swarm commands before swarm update');
  swarm
    .command('update')
    .description('update the swarm (without flags: show its settings)')
    .option('--dispatcher-heartbeat <duration>', 'dispatcher heartbeat period (default 5s)')
    .option('--cert-expiry <duration>', 'validity period for node certificates (default 2160h0m0s)')
    .option('--task-history-limit <n>', 'task history retention limit (default 5)')
    .option('--gossip-key-rotation <duration>', 'how often the gossip encryption key is rotated (default 12h0m0s)')
    .action((opts, command: Command) => swarmUpdateCommand(context(command), opts));
}
