import { parseMetricsAddr, type MetricsAddr } from '@flotilla/metrics';
import { Command, CommanderError } from 'commander';
import { parseProbeInterval } from './gossip/gossip-config.js';
import { parseServiceSelection, type ProcessServiceName } from './services/service-selection.js';
import {
  ConfigError,
  LOG_LEVELS,
  parseAdvertiseAddr,
  parseControlSocket,
  parseDataDir,
  parseDockerHost,
  parseLabels,
  parseLogLevel,
  parseNatsMonitorAddr,
  parseNodeName,
  parsePort,
  type DockerHost,
  type LogLevel,
} from './config-values.js';

export interface DaemonConfig {
  readonly dataDir: string;
  readonly controlSocket: string;
  readonly nodeName: string;
  readonly dockerHost: DockerHost;
  readonly labels: Readonly<Record<string, string>>;
  readonly logLevel: LogLevel;
  /** Kept for `swarm init`/`join`, which come later; empty when not given. */
  readonly advertiseAddr: string;
  /** NATS client and route ports a manager binds on its advertise address (0 = any free port). */
  readonly natsPort: number;
  readonly natsClusterPort: number;
  /** nats-server HTTP monitoring on loopback (a diagnostic; off when absent). */
  readonly natsMonitorAddr?: { readonly host: string; readonly port: number };
  /** Gossip probe interval; the other gossip timings scale with it (see gossip/gossip-config.ts). */
  readonly gossipProbeIntervalMs?: number;
  /** Prometheus metrics over plain HTTP on loopback (off when absent). */
  readonly metricsAddr?: MetricsAddr;
  /**
   * Singleton manager services this daemon runs inside itself while it leads Raft (issue 16);
   * default all. The others run as `flotillad service <name>` processes.
   */
  readonly services?: readonly ProcessServiceName[];
}

/** What the process around the parser provides; passed in so parsing stays pure. */
export interface ParseContext {
  readonly cwd: string;
  readonly hostname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly version: string;
}

export type ParseOutcome =
  | { readonly kind: 'run'; readonly config: DaemonConfig }
  /** Help, version or a bad flag: print and exit without starting anything. */
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

export const DEFAULT_DATA_DIR = '/var/lib/flotilla';
export const DEFAULT_CONTROL_SOCKET = '/var/run/flotilla.sock';
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

interface RawOptions {
  dataDir: string;
  controlSocket: string;
  nodeName: string;
  dockerHost: string;
  label: string[];
  logLevel: string;
  advertiseAddr?: string;
  natsPort: string;
  natsClusterPort: string;
  natsMonitorAddr?: string;
  gossipProbeInterval: string;
  metricsAddr?: string;
  services: string;
}

export function parseDaemonArgs(args: readonly string[], ctx: ParseContext): ParseOutcome {
  let stdout = '';
  let stderr = '';
  const program = new Command('flotillad')
    .description('Flotilla daemon: one per machine, runs the agent and, on managers, the manager services.')
    .version(`flotillad version ${ctx.version}`, '-v, --version', 'print the version and exit')
    .option('--data-dir <path>', 'directory for durable state', DEFAULT_DATA_DIR)
    .option('--control-socket <path>', 'unix socket the flotilla CLI connects to (mode 0600)', DEFAULT_CONTROL_SOCKET)
    .option('--node-name <name>', 'name of this node', ctx.hostname)
    .option('--docker-host <url>', 'Docker Engine to run containers on', ctx.env['DOCKER_HOST'] || DEFAULT_DOCKER_HOST)
    .option('--label <key=value>', 'node label (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--log-level <level>', `one of ${LOG_LEVELS.join(', ')}`, 'info')
    .option('--advertise-addr <ip|interface[:port]>', 'address other nodes reach this one on (used by swarm init/join)')
    .option('--nats-port <port>', 'NATS client port a manager listens on (0 = any free port)', '4222')
    .option('--nats-cluster-port <port>', 'NATS route port between managers (0 = any free port)', '6222')
    .option('--nats-monitor-addr <host:port>', "a manager's nats-server HTTP monitoring (routes, connections), loopback only; off by default")
    .option('--gossip-probe-interval <duration>', 'how often gossip probes a peer; failure detection takes about 5 of these', '300ms')
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics, loopback only (as dockerd\'s flag); off by default')
    .option('--services <list>', 'singleton manager services a manager runs inside this daemon: all, none, or a comma-separated list of scheduler, orchestrator, allocator; the others run as `flotillad service <name>` processes', 'all')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      writeErr: (text) => {
        stderr += text;
      },
      // Commander's own wording is reshaped below into one line with the program name.
      outputError: () => {},
    });

  try {
    program.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return { kind: 'exit', code: 0, stdout, stderr };
      const reason = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      return { kind: 'exit', code: 2, stdout: '', stderr: `flotillad: ${reason} (see 'flotillad --help')\n` };
    }
    throw err;
  }

  try {
    const dockerHostFromEnv = program.getOptionValueSource('dockerHost') === 'default' && Boolean(ctx.env['DOCKER_HOST']);
    return { kind: 'run', config: buildConfig(program.opts<RawOptions>(), ctx, dockerHostFromEnv) };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'exit', code: 2, stdout: '', stderr: `flotillad: ${err.message}\n` };
    throw err;
  }
}

function buildConfig(raw: RawOptions, ctx: ParseContext, dockerHostFromEnv: boolean): DaemonConfig {
  return {
    dataDir: parseDataDir(raw.dataDir, ctx.cwd),
    controlSocket: parseControlSocket(raw.controlSocket, ctx.cwd),
    nodeName: parseNodeName(raw.nodeName),
    dockerHost: withSource(() => parseDockerHost(raw.dockerHost), dockerHostFromEnv ? 'from DOCKER_HOST' : undefined),
    labels: parseLabels(raw.label),
    logLevel: parseLogLevel(raw.logLevel),
    advertiseAddr: raw.advertiseAddr === undefined ? '' : parseAdvertiseAddr(raw.advertiseAddr),
    natsPort: parsePort(raw.natsPort, '--nats-port'),
    natsClusterPort: parsePort(raw.natsClusterPort, '--nats-cluster-port'),
    ...(raw.natsMonitorAddr !== undefined ? { natsMonitorAddr: parseNatsMonitorAddr(raw.natsMonitorAddr) } : {}),
    gossipProbeIntervalMs: parseProbeInterval(raw.gossipProbeInterval),
    ...(raw.metricsAddr !== undefined ? { metricsAddr: parseMetricsFlag(raw.metricsAddr) } : {}),
    services: parseServiceSelection(raw.services),
  };
}

function parseMetricsFlag(raw: string): MetricsAddr {
  try {
    return parseMetricsAddr(raw);
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message.replace(/^--metrics-addr /, 'invalid --metrics-addr ') : String(err));
  }
}

/** Says where a bad value came from when the user did not type it on the command line. */
function withSource<T>(parse: () => T, source: string | undefined): T {
  try {
    return parse();
  } catch (err) {
    if (source && err instanceof ConfigError) throw new ConfigError(`${err.message} (${source})`);
    throw err;
  }
}
