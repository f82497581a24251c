// `flotillad service <name> --join MANAGER:PORT --token <service token>` (issue 16): one singleton
// manager service as its own process. Pure: the arguments in, a config or what to print out.
import { Command, CommanderError } from 'commander';
import { parseDuration } from '@flotilla/api';
import { DEFAULT_LEASE_DURATION_MS } from '@flotilla/raft';
import { ConfigError, LOG_LEVELS, parseLogLevel, type LogLevel } from '../config-values.js';
import { PROCESS_SERVICES, isProcessServiceName, type ProcessServiceName } from './service-selection.js';

export interface ServiceProcessConfig {
  readonly service: ProcessServiceName;
  /** host:port of a manager's port 2377 (or --listen-addr), where the service identity is issued. */
  readonly joinAddr: string;
  readonly token: string;
  readonly logLevel: LogLevel;
  /** A holder not heard from for this long may be replaced by another instance. */
  readonly leaseDurationMs: number;
}

export type ServiceParseOutcome =
  | { readonly kind: 'run'; readonly config: ServiceProcessConfig }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

const MIN_LEASE_MS = 500;
const MAX_LEASE_MS = 60_000;

/** `args` are those after `service`. */
export function parseServiceArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>>): ServiceParseOutcome {
  let stdout = '';
  let stderr = '';
  const program = new Command('flotillad service')
    .description(`Run one singleton manager service (${PROCESS_SERVICES.join(', ')}) as its own process; several may run, one acts at a time under the service's lease.`)
    .argument('<name>', PROCESS_SERVICES.join(' | '))
    .requiredOption('--join <host:port>', "a manager's address (its swarm port, 2377 by default)")
    .option('--token <token>', 'the service join token (`flotilla swarm join-token service`); default $FLOTILLA_SERVICE_TOKEN')
    .option('--log-level <level>', `one of ${LOG_LEVELS.join(', ')}`, 'info')
    .option('--lease-duration <duration>', 'how long a silent holder keeps the lease before another instance takes over', `${DEFAULT_LEASE_DURATION_MS}ms`)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      writeErr: (text) => {
        stderr += text;
      },
      outputError: () => {},
    });
  try {
    program.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return { kind: 'exit', code: 0, stdout, stderr };
      const reason = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      return { kind: 'exit', code: 2, stdout: '', stderr: `flotillad service: ${reason} (see 'flotillad service --help')\n` };
    }
    throw err;
  }
  try {
    const raw = program.opts<{ join: string; token?: string; logLevel: string; leaseDuration: string }>();
    return { kind: 'run', config: buildServiceConfig(program.args[0] ?? '', raw, env) };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'exit', code: 2, stdout: '', stderr: `flotillad service: ${err.message}\n` };
    throw err;
  }
}

function buildServiceConfig(name: string, raw: { join: string; token?: string; logLevel: string; leaseDuration: string }, env: Readonly<Record<string, string | undefined>>): ServiceProcessConfig {
  if (!isProcessServiceName(name)) throw new ConfigError(`"${name}" is not a manager service that runs as its own process; expected one of ${PROCESS_SERVICES.join(', ')}`);
  if (!/^[^\s:]+:\d{1,5}$/.test(raw.join) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(raw.join)) throw new ConfigError(`invalid --join "${raw.join}": expected host:port of a manager`);
  const token = raw.token ?? env['FLOTILLA_SERVICE_TOKEN'] ?? '';
  if (token === '') throw new ConfigError('no service join token: give --token or set FLOTILLA_SERVICE_TOKEN (`flotilla swarm join-token service` prints it)');
  let leaseDurationMs: number;
  try {
    leaseDurationMs = parseDuration(raw.leaseDuration);
  } catch (err) {
    throw new ConfigError(`invalid --lease-duration "${raw.leaseDuration}": ${(err as Error).message}`);
  }
  if (leaseDurationMs < MIN_LEASE_MS || leaseDurationMs > MAX_LEASE_MS) throw new ConfigError(`invalid --lease-duration "${raw.leaseDuration}": expected ${MIN_LEASE_MS}ms to ${MAX_LEASE_MS / 1000}s`);
  return { service: name, joinAddr: raw.join, token, logLevel: parseLogLevel(raw.logLevel), leaseDurationMs };
}
