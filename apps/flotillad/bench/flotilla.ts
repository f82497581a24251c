import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import pino from 'pino';
import { killStaleNatsServer } from '../src/manager/stale-nats.js';
import { DAEMON_NODE_FLAGS } from '../src/node-flags.js';
import { socketAnswers } from '../test/helpers/wait.js';
import type { Cleanup } from './cleanup.js';
import { removeContainersByLabel } from './engine-watch.js';
import { IMAGE, REPLICA_COMMAND, type CreateOptions, type ServiceSystem } from './orchestrator.js';
import { run, runOk } from './processes.js';

const DAEMON_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
/** Its own loopback address, so it collides with neither a running flotillad nor Docker's swarm. */
const ADVERTISE = '127.0.0.11';
const START_DEADLINE_MS = 30_000;

async function until(what: string, check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('close', () => r()));
}

/**
 * Starts a private flotillad (temp data dir and socket, ports chosen by the kernel), makes it
 * a one-node swarm, and registers its teardown: leave, SIGTERM by pid, its nats-server, its
 * containers by node label, the temp dir. With `daemonLog`, its debug log (pino JSON, stderr)
 * is appended to that file, to trace where a scenario's time goes.
 */
export async function flotillaSwarm(docker: Docker, cleanup: Cleanup, options: { daemonLog?: string } = {}): Promise<ServiceSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'ctl.sock');
  let nodeId = '';
  let stderr = '';
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  cleanup.add('remove the bench flotillad node containers', async () => {
    if (nodeId) await removeContainersByLabel(docker, `io.flotilla.node.id=${nodeId}`);
  });
  cleanup.add('stop the bench nats-server', () => killStaleNatsServer(join(dataDir, 'swarm', 'nats'), pino({ level: 'silent' })));
  const daemon = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, DAEMON_MAIN, '--data-dir', dataDir, '--control-socket', socket, '--node-name', 'flotilla-bench',
      '--nats-port', '0', '--nats-cluster-port', '0', '--log-level', options.daemonLog ? 'debug' : 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const logFile = options.daemonLog ? createWriteStream(options.daemonLog, { flags: 'a' }) : undefined;
  daemon.stderr.on('data', (c: Buffer) => {
    logFile?.write(c);
    stderr = (stderr + c.toString()).slice(-4000);
  });
  cleanup.add(`stop flotillad pid ${daemon.pid}`, async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    daemon.kill('SIGTERM');
    const stopped = await Promise.race([exited(daemon).then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
    if (!stopped) {
      daemon.kill('SIGKILL');
      await exited(daemon);
    }
  });
  const cli = (...args: string[]) => runOk(process.execPath, [CLI_MAIN, '-H', `unix://${socket}`, ...args]);
  cleanup.add('flotilla swarm leave --force', async () => {
    if (nodeId && daemon.exitCode === null) await run(process.execPath, [CLI_MAIN, '-H', `unix://${socket}`, 'swarm', 'leave', '--force']);
  });

  await until(`flotillad to answer on ${socket}`, async () => {
    if (daemon.exitCode !== null) throw new Error(`flotillad exited (${daemon.exitCode}) before serving: ${stderr.trim()}`);
    return socketAnswers(socket);
  }, START_DEADLINE_MS);
  const init = await cli('swarm', 'init', '--advertise-addr', ADVERTISE, '--listen-addr', `${ADVERTISE}:0`);
  const match = /current node \((\w+)\)/.exec(init);
  if (!match) throw new Error(`flotilla swarm init printed no node id: ${init}`);
  nodeId = match[1]!;
  await until('the bench node to be Ready', async () => / Ready /.test(await cli('node', 'ls')), START_DEADLINE_MS);

  return {
    name: 'Flotilla',
    serviceLabel: (service) => `io.flotilla.service.name=${service}`,
    async create(service: string, { replicas, stopGraceSeconds }: CreateOptions): Promise<void> {
      await cli(
        'service', 'create', '--detach',
        '--name', service,
        '--replicas', String(replicas),
        '--restart-delay', '0s',
        ...(stopGraceSeconds !== undefined ? ['--stop-grace-period', `${stopGraceSeconds}s`] : []),
        IMAGE, ...REPLICA_COMMAND,
      );
    },
    async remove(service: string): Promise<void> {
      await cli('service', 'rm', service);
    },
    image: IMAGE,
    cliArgv: [process.execPath, CLI_MAIN, '-H', `unix://${socket}`],
  };
}
