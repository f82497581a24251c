// The `flotillad service <name>` process: parse, start, run until SIGTERM/SIGINT (releasing the
// lease on the way out), and exit with a clear line on a refusal. Never returns.
import { hostname } from 'node:os';
import { runUntilSignalled } from '../lifecycle.js';
import { daemonLogger } from '../logger.js';
import { parseServiceArgs } from './service-args.js';
import { startServiceProcess } from './service-process.js';

export async function runServiceMain(args: readonly string[]): Promise<never> {
  const parsed = parseServiceArgs(args, process.env);
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.stdout);
    process.stderr.write(parsed.stderr);
    process.exit(parsed.code);
  }
  const { config } = parsed;
  const log = daemonLogger(config.logLevel, hostname()).child({ component: `service-${config.service}` });
  try {
    await runUntilSignalled(() => startServiceProcess(config, log), log);
    process.exit(0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ err, service: config.service, join: config.joinAddr }, 'flotillad service failed');
    process.stderr.write(`flotillad service ${config.service}: ${message}\n`);
    process.exit(1);
  }
}
