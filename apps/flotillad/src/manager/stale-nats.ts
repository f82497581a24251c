import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * A flotillad killed with SIGKILL cannot stop its nats-server, which then keeps our ports.
 * Before starting a new one, end the one still running with this data dir's config file:
 * the exact config path identifies it as ours (no other process is ever touched).
 */
export async function killStaleNatsServer(configDir: string, log: Logger, timeoutMs = 5_000): Promise<void> {
  const configFile = join(configDir, 'nats-server.conf');
  for (const pid of await natsServerPids(configDir)) {
    log.warn({ pid, configFile }, 'a nats-server of a previous flotillad is still running: stopping it');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue;
    }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`stale nats-server (pid ${pid}) using ${configFile} did not exit after SIGKILL`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The nats-server processes started with this data dir's config file (`-c <configDir>/nats-server.conf`). */
export function natsServerPids(configDir: string): Promise<number[]> {
  return findProcessesWithArgs(['-c', join(configDir, 'nats-server.conf')]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function findProcessesWithArgs(args: readonly string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0').filter((a) => a !== '');
    if (!argv[0]?.endsWith('nats-server')) continue;
    const at = argv.indexOf(args[0]!);
    if (at >= 0 && args.every((a, i) => argv[at + i] === a)) found.push(Number(entry));
  }
  return found;
}
