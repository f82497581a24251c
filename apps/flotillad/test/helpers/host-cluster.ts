// A real flotillad cluster on test hosts: each daemon runs inside its own network namespace
// (packages/testkit createTestHosts) with its own Docker Engine, data dir and control socket, and
// advertises the host's 198.18.k.x address, so nodes talk over a real bridge that tests can cut or
// crash. The control sockets live on the shared filesystem, so the CLI runs from here against any
// host. Everything started here is killed by pid in destroy() (and the hosts' teardown kills
// whatever still runs in their namespaces, e.g. the managers' nats-servers).
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestHosts, tempDir, type TestHost, type TestHosts } from '@flotilla/testkit';
import { DAEMON_NODE_FLAGS } from '../../src/node-flags.js';
import { DAEMON_MAIN, runCli, runToEnd, type Finished } from './processes.js';
import { socketAnswers, waitFor } from './wait.js';

export type NodeRole = 'manager' | 'worker';

export interface HostClusterOptions {
  /** Number of test hosts (one flotillad each). */
  readonly count: number;
  /** How many of them are managers (host 1 always is); default 1. */
  readonly managers?: number;
  /** Do not init/join: just start the daemons (default false). */
  readonly noSwarm?: boolean;
  /** Extra `swarm init` flags, e.g. `--default-addr-pool 198.19.0.0/16`. */
  readonly initArgs?: readonly string[];
  /** Extra flotillad flags for every daemon. */
  readonly daemonArgs?: readonly string[];
  readonly logLevel?: string;
  /** Deadline for each wait (daemon serving, node Ready). */
  readonly timeoutMs?: number;
  /**
   * Put each node's data dir on its own tmpfs of this many MiB, below the test host's directory
   * (so the hosts' teardown unmounts it even after a crash): a disk that a test can fill.
   */
  readonly dataTmpfsMb?: number;
  /** Extra environment of a node's daemon (read at each start). */
  readonly daemonEnv?: (node: ClusterNode) => NodeJS.ProcessEnv;
}

export interface ClusterNode {
  /** `h1`, `h2`, … (also the node name). */
  readonly name: string;
  readonly host: TestHost;
  /** The host's address on the bridge: what the daemon advertises. */
  readonly addr: string;
  readonly dataDir: string;
  readonly socket: string;
  /** Daemon log (stdout + stderr) of every start of this node. */
  readonly logFile: string;
  readonly role: NodeRole;
  nodeId: string;
  daemon: ChildProcess | undefined;
}

export interface HostCluster {
  readonly hosts: TestHosts;
  readonly nodes: readonly ClusterNode[];
  /** The first manager (host 1). */
  readonly leader: ClusterNode;
  /** Runs the flotilla CLI against `node`'s control socket. */
  cli(node: ClusterNode, ...args: string[]): Promise<Finished>;
  /** Like cli, but throws with stderr unless it exits 0; resolves stdout. */
  ok(node: ClusterNode, ...args: string[]): Promise<string>;
  /** `node ls` rows seen from `from`, by node id: { status, availability, managerStatus }. */
  nodeStates(from: ClusterNode): Promise<Map<string, NodeRow>>;
  /** Waits until `from` lists every node in `nodes` with `status`. */
  waitForStatus(from: ClusterNode, nodes: readonly ClusterNode[], status: string, timeoutMs?: number): Promise<void>;
  /** Starts (or restarts after stop/kill) the node's daemon and waits for its socket. */
  startDaemon(node: ClusterNode): Promise<void>;
  /** SIGTERMs the node's daemon and waits for it to exit. */
  stopDaemon(node: ClusterNode): Promise<void>;
  /** A crashed machine: SIGKILL of everything in the host (daemon, nats-server, engine, containers). */
  kill(node: ClusterNode): Promise<void>;
  /** Starts the crashed host's engine and daemon again. */
  revive(node: ClusterNode): Promise<void>;
  cutOff(node: ClusterNode): Promise<void>;
  heal(node: ClusterNode): Promise<void>;
  /** The node's daemon log so far. */
  log(node: ClusterNode): string;
  destroy(): Promise<void>;
}

export interface NodeRow {
  readonly name: string;
  readonly status: string;
  readonly availability: string;
  readonly managerStatus: string;
}

const DEFAULT_TIMEOUT_MS = 90_000;

/** Parses `flotilla node ls` output (ID [*], HOSTNAME, STATUS, AVAILABILITY, MANAGER STATUS, …). */
export function parseNodeLs(out: string): Map<string, NodeRow> {
  const rows = new Map<string, NodeRow>();
  for (const line of out.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const cells = line.replace(/^(\S+)\s\*\s/, '$1 ').split(/\s+/);
    const [id, name, status, availability, managerStatus] = cells;
    if (!id || !name || !status || !availability) continue;
    rows.set(id.replace('*', ''), { name, status, availability, managerStatus: managerStatus && !/^\d/.test(managerStatus) ? managerStatus : '' });
  }
  return rows;
}

export async function startHostCluster(options: HostClusterOptions): Promise<HostCluster> {
  const managers = options.managers ?? 1;
  if (options.count < 1) throw new Error(`a host cluster needs at least one host, got ${options.count}`);
  if (managers < 1 || managers > options.count) throw new Error(`managers must be 1..${options.count}, got ${managers}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dir = await tempDir('flt-hc-');
  let hosts: TestHosts;
  try {
    hosts = await createTestHosts({ count: options.count, withDocker: true });
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
  const nodes: ClusterNode[] = hosts.hosts.map((host, i) => ({
    name: host.name,
    host,
    addr: host.addr,
    dataDir: options.dataTmpfsMb ? join(host.dir, 'flotillad') : join(dir.path, host.name),
    socket: join(dir.path, `${host.name}.sock`),
    logFile: join(dir.path, `${host.name}.log`),
    role: i < managers ? 'manager' : 'worker',
    nodeId: '',
    daemon: undefined,
  }));

  const cli = (node: ClusterNode, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${node.socket}`, ...args]);
  const ok = async (node: ClusterNode, ...args: string[]): Promise<string> => {
    const run = await cli(node, ...args);
    if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${node.name} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const nodeStates = async (from: ClusterNode): Promise<Map<string, NodeRow>> => parseNodeLs(await ok(from, 'node', 'ls'));

  const startDaemon = async (node: ClusterNode): Promise<void> => {
    if (node.daemon && node.daemon.exitCode === null && node.daemon.signalCode === null) throw new Error(`flotillad of ${node.name} already runs (pid ${node.daemon.pid})`);
    const logFd = openSync(node.logFile, 'a');
    let child: ChildProcess;
    try {
      child = node.host.spawn(
        [
          process.execPath, ...DAEMON_NODE_FLAGS, DAEMON_MAIN,
          '--data-dir', node.dataDir, '--control-socket', node.socket, '--node-name', node.name,
          '--docker-host', node.host.dockerHost!, '--advertise-addr', node.addr,
          '--log-level', options.logLevel ?? 'debug', ...(options.daemonArgs ?? []),
        ],
        { stdio: ['ignore', logFd, logFd], ...(options.daemonEnv ? { env: options.daemonEnv(node) } : {}) },
      );
    } finally {
      closeSync(logFd);
    }
    node.daemon = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(`flotillad of ${node.name} to answer on ${node.socket}`, async () => {
      if (exited) throw new Error(`flotillad of ${node.name} exited before serving; log ${node.logFile}:\n${tail(node)}`);
      return (await socketAnswers(node.socket)) ? true : undefined;
    }, timeoutMs);
  };

  const stopDaemon = async (node: ClusterNode): Promise<void> => {
    const child = node.daemon;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  };

  const waitForStatus = async (from: ClusterNode, wanted: readonly ClusterNode[], status: string, deadline = timeoutMs): Promise<void> => {
    await waitFor(`${wanted.map((n) => n.name).join(',')} ${status} seen from ${from.name}`, async () => {
      const run = await cli(from, 'node', 'ls');
      if (run.code !== 0) return undefined;
      const rows = parseNodeLs(run.stdout);
      return wanted.every((n) => rows.get(n.nodeId)?.status === status) ? true : undefined;
    }, deadline);
  };

  const destroy = async (): Promise<void> => {
    // Daemons first, gently, so they can stop their nats-servers; the hosts' teardown SIGKILLs the rest.
    await Promise.all(nodes.map((node) => withDeadline(stopDaemon(node), 15_000).catch(() => node.daemon?.kill('SIGKILL'))));
    if (process.env.FLOTILLA_E2E_LOGS) {
      const { copyFile } = await import('node:fs/promises');
      for (const node of nodes) await copyFile(node.logFile, join(process.env.FLOTILLA_E2E_LOGS, `${hosts.runId}-${node.name}.log`)).catch(() => undefined);
    }
    try {
      await hosts.destroy();
    } finally {
      await dir.cleanup();
    }
  };

  const cluster: HostCluster = {
    hosts,
    nodes,
    leader: nodes[0]!,
    cli,
    ok,
    nodeStates,
    waitForStatus,
    startDaemon,
    stopDaemon,
    kill: async (node) => {
      await hosts.kill(node.host);
      if (node.daemon && node.daemon.exitCode === null && node.daemon.signalCode === null) await new Promise((resolve) => node.daemon!.once('exit', resolve));
    },
    revive: async (node) => {
      await hosts.restartEngine(node.host);
      await startDaemon(node);
    },
    cutOff: (node) => hosts.cutOff(node.host),
    heal: (node) => hosts.heal(node.host),
    log: (node) => readLog(node),
    destroy,
  };

  try {
    if (options.dataTmpfsMb) {
      for (const node of nodes) {
        await mkdir(node.dataDir, { recursive: true });
        await runToEnd('mount', ['-t', 'tmpfs', '-o', `size=${options.dataTmpfsMb}m,mode=0700`, `flt-data-${node.name}`, node.dataDir]).then((r) => {
          if (r.code !== 0) throw new Error(`mounting a ${options.dataTmpfsMb} MiB tmpfs on ${node.dataDir}: ${r.stderr}`);
        });
      }
    }
    await Promise.all(nodes.map((node) => startDaemon(node)));
    if (!options.noSwarm) await formSwarm(cluster, timeoutMs, options.initArgs ?? []);
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
  return cluster;
}

async function formSwarm(cluster: HostCluster, timeoutMs: number, initArgs: readonly string[]): Promise<void> {
  const [first, ...rest] = cluster.nodes as ClusterNode[];
  const init = await cluster.ok(first!, 'swarm', 'init', '--advertise-addr', first!.addr, '--listen-addr', `${first!.addr}:2377`, ...initArgs);
  first!.nodeId = /current node \((\w+)\)/.exec(init)?.[1] ?? '';
  if (!first!.nodeId) throw new Error(`swarm init on ${first!.name} printed no node id:\n${init}`);
  const tokens = {
    worker: (await cluster.ok(first!, 'swarm', 'join-token', '-q', 'worker')).trim(),
    manager: (await cluster.ok(first!, 'swarm', 'join-token', '-q', 'manager')).trim(),
  };
  const join = async (node: ClusterNode): Promise<void> => {
    await cluster.ok(node, 'swarm', 'join', '--advertise-addr', node.addr, '--listen-addr', `${node.addr}:2377`, '--token', tokens[node.role], `${first!.addr}:2377`);
    const info = await cluster.ok(node, 'info');
    node.nodeId = /NodeID: (\w+)/.exec(info)?.[1] ?? '';
    if (!node.nodeId) throw new Error(`info on ${node.name} shows no NodeID after joining:\n${info}`);
    await cluster.waitForStatus(first!, [node], 'Ready', timeoutMs);
  };
  // Managers one at a time: a manager joining changes the Raft voters, and the next join goes
  // through them. Workers change no voters: together.
  for (const node of rest.filter((n) => n.role === 'manager')) await join(node);
  await Promise.all(rest.filter((n) => n.role === 'worker').map(join));
  await cluster.waitForStatus(first!, cluster.nodes, 'Ready', timeoutMs);
}

function readLog(node: ClusterNode): string {
  try {
    return readFileSync(node.logFile, 'utf8');
  } catch {
    return '';
  }
}

function tail(node: ClusterNode, lines = 30): string {
  return readLog(node).split('\n').slice(-lines).join('\n');
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
