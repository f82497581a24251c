// Doing and undoing the faults of a chaos run on a host cluster. Each fault resolves its target
// when it starts (the leader then, as its peers see it), never touches a node another fault holds,
// and returns how to heal it. Rules and files live inside the test hosts (iptables in their
// namespaces, fillers on their tmpfs), so the hosts' teardown removes them even after a crash.
import { existsSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListNodesResponse } from '@flotilla/api';
import { runToEnd } from '../helpers/processes.js';
import type { ClusterNode, HostCluster } from '../helpers/host-cluster.js';
import { control } from './control-calls.js';
import type { PlannedFault, Target } from './schedule.js';

export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const LOSS_COMMENT = 'flt-chaos-loss';
const FILLER = 'chaos-disk-filler';

/** The file libfaketime reads the node's clock offset from (outside its data dir, which may be full). */
export const clockFileOf = (node: ClusterNode): string => join(node.host.dir, 'faketime');

/**
 * The daemon's environment for clock steps: libfaketime shifts its wall clock (Date, TLS validity
 * checks) by the offset in the clock file, re-read every second; monotonic clocks (timers) stay
 * true, as when NTP steps a real machine's clock. The Go nats-server it starts reads time through
 * the vDSO, so its clock is not stepped.
 */
export function clockStepEnv(node: ClusterNode): NodeJS.ProcessEnv {
  if (!existsSync(FAKETIME_LIB)) return {};
  const file = clockFileOf(node);
  if (!existsSync(file)) writeFileSync(file, '+0s\n');
  return { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

export interface FaultRecord {
  readonly kind: PlannedFault['kind'];
  readonly nodes: readonly string[];
  /** Run clock (ms) when it started and when it was healed. */
  readonly startMs: number;
  endMs?: number;
  readonly detail: string;
  /** Set when the fault could not be done (e.g. no leader to hit). */
  readonly skipped?: string;
  healError?: string;
}

export interface ActiveFault {
  readonly record: FaultRecord;
  heal(): Promise<void>;
}

const running = (node: ClusterNode): boolean => !!node.daemon && node.daemon.exitCode === null && node.daemon.signalCode === null;

export class FaultInjector {
  /** Nodes a fault holds now. */
  private readonly held = new Set<ClusterNode>();
  /** When each node was last disturbed (fault start to heal), on the run clock. */
  readonly disturbed = new Map<string, { from: number; to: number | undefined }[]>();

  constructor(
    private readonly cluster: HostCluster,
    private readonly now: () => number,
  ) {}

  get managers(): ClusterNode[] {
    return this.cluster.nodes.filter((n) => n.role === 'manager');
  }

  isHeld(node: ClusterNode): boolean {
    return this.held.has(node);
  }

  /** True when `node` was under a fault at some time in [from, to] or within `marginMs` after one ended. */
  wasDisturbed(node: string, from: number, to: number, marginMs: number): boolean {
    return (this.disturbed.get(node) ?? []).some((d) => d.from <= to && (d.to === undefined || d.to + marginMs >= from));
  }

  /** The leader as the free managers see it (the first that answers), or undefined. */
  async leader(): Promise<ClusterNode | undefined> {
    for (const m of this.managers.filter((n) => !this.held.has(n) && running(n))) {
      const r = await control<ListNodesResponse>(m.socket, 'listNodes', {}, 2_000);
      if (!r.ok) continue;
      const id = r.res.nodes.find((v) => v.leader)?.node?.id;
      const node = this.cluster.nodes.find((n) => n.nodeId === id);
      if (node) return node;
    }
    return undefined;
  }

  private async resolve(target: Target, count: number): Promise<ClusterNode[] | string> {
    const free = (nodes: ClusterNode[]) => nodes.filter((n) => !this.held.has(n));
    const leader = await this.leader();
    const pickFrom = (pool: ClusterNode[], pick: number): ClusterNode[] => {
      const out: ClusterNode[] = [];
      for (let i = 0; i < count && pool.length > 0; i++) out.push(pool.splice((pick + i) % pool.length, 1)[0]!);
      return out;
    };
    switch (target.role) {
      case 'leader':
        if (!leader) return 'no manager named a leader';
        if (this.held.has(leader)) return `the leader ${leader.name} is already under a fault`;
        return [leader];
      case 'follower': {
        const pool = free(this.managers).filter((n) => n !== leader);
        return pool.length > 0 ? pickFrom(pool, target.pick) : 'no free follower';
      }
      case 'manager': {
        const pool = free(this.managers);
        return pool.length > 0 ? pickFrom(pool, target.pick) : 'no free manager';
      }
      case 'any': {
        const pool = free([...this.cluster.nodes]);
        return pool.length > 0 ? pickFrom(pool, target.pick) : 'no free node';
      }
    }
  }

  async start(f: PlannedFault): Promise<ActiveFault> {
    const startMs = this.now();
    // A second fault must leave a quorum of managers untouched (5 managers: two may be hit at once).
    const quorum = Math.floor(this.managers.length / 2) + 1;
    const heldManagers = [...this.held].filter((n) => n.role === 'manager').length;
    let nodes = await this.resolve(f.target, f.count);
    if (typeof nodes !== 'string') {
      const extraManagers = nodes.filter((n) => n.role === 'manager').length;
      if (heldManagers + extraManagers > this.managers.length - quorum) nodes = `${heldManagers} manager(s) already under a fault: hitting ${extraManagers} more would leave no quorum`;
    }
    if (typeof nodes === 'string') {
      return { record: { kind: f.kind, nodes: [], startMs, endMs: startMs, detail: '', skipped: nodes }, heal: async () => undefined };
    }
    for (const n of nodes) {
      this.held.add(n);
      let list = this.disturbed.get(n.name);
      if (!list) this.disturbed.set(n.name, (list = []));
      list.push({ from: startMs, to: undefined });
    }
    let heal: () => Promise<void>;
    let detail = '';
    try {
      ({ heal, detail } = await this.inflict(f, nodes));
    } catch (err) {
      heal = async () => undefined;
      detail = `could not inflict: ${(err as Error).message}`;
    }
    const record: FaultRecord = { kind: f.kind, nodes: nodes.map((n) => n.name), startMs, detail };
    const release = async (): Promise<void> => {
      try {
        await heal();
      } catch (err) {
        record.healError = (err as Error).message;
      } finally {
        record.endMs = this.now();
        for (const n of nodes) {
          this.held.delete(n);
          const open = this.disturbed.get(n.name)?.find((d) => d.to === undefined);
          if (open) open.to = record.endMs;
        }
      }
    };
    return { record, heal: release };
  }

  private async inflict(f: PlannedFault, nodes: ClusterNode[]): Promise<{ heal: () => Promise<void>; detail: string }> {
    const c = this.cluster;
    switch (f.kind) {
      case 'kill-leader':
      case 'kill-follower': {
        const [n] = nodes as [ClusterNode];
        const pid = n.daemon?.pid;
        await killDaemon(n);
        return { detail: `SIGKILL flotillad pid ${pid}`, heal: () => c.startDaemon(n) };
      }
      case 'crash-machine': {
        const [n] = nodes as [ClusterNode];
        await c.kill(n);
        return { detail: `every process of ${n.name} SIGKILLed (flotillad, nats-server, dockerd, containers)`, heal: () => c.revive(n) };
      }
      case 'pause': {
        const pids = nodes.map((n) => n.daemon?.pid).filter((p): p is number => p !== undefined);
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        return {
          detail: `SIGSTOP flotillad pid ${pids.join(', ')}`,
          heal: async () => {
            for (const pid of pids) process.kill(pid, 'SIGCONT');
          },
        };
      }
      case 'partition-minority':
      case 'partition-leader':
        for (const n of nodes) await c.cutOff(n);
        return {
          detail: 'cut off the bridge (both ways)',
          heal: async () => {
            for (const n of nodes) await c.heal(n);
          },
        };
      case 'one-way-loss': {
        const [n] = nodes as [ClusterNode];
        const rule = lossRule(f.direction, f.lossPercent);
        await n.host.exec(['iptables', '-w', ...rule.table, '-I', ...rule.spec]);
        return {
          detail: `${f.lossPercent}% of packets ${f.direction === 'in' ? 'arriving' : 'leaving'} dropped`,
          heal: async () => {
            while ((await n.host.exec(['iptables', '-w', ...rule.table, '-C', ...rule.spec], { allowFailure: true })).code === 0) {
              await n.host.exec(['iptables', '-w', ...rule.table, '-D', ...rule.spec]);
            }
          },
        };
      }
      case 'disk-full': {
        const [n] = nodes as [ClusterNode];
        const filler = join(n.dataDir, FILLER);
        // dd stops with "No space left on device": that is the point.
        await runToEnd('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M']);
        const df = await runToEnd('df', ['-k', '--output=avail', n.dataDir]);
        return { detail: `data dir filled (${df.stdout.split('\n')[1]?.trim() ?? '?'} KiB left)`, heal: () => rm(filler, { force: true }) };
      }
      case 'kill-nats': {
        const [n] = nodes as [ClusterNode];
        const pids = await natsServersOf(n);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        return { detail: pids.length > 0 ? `SIGKILL nats-server pid ${pids.join(', ')}` : 'no nats-server was running', heal: async () => undefined };
      }
      case 'clock-step': {
        const [n] = nodes as [ClusterNode];
        if (!existsSync(FAKETIME_LIB)) throw new Error(`${FAKETIME_LIB} is missing (apt-get install libfaketime): no clock step`);
        writeFileSync(clockFileOf(n), `${f.clockStepS >= 0 ? '+' : ''}${f.clockStepS}s\n`);
        return { detail: `wall clock stepped ${f.clockStepS >= 0 ? '+' : ''}${f.clockStepS} s`, heal: async () => writeFileSync(clockFileOf(n), '+0s\n') };
      }
    }
  }
}

async function killDaemon(n: ClusterNode): Promise<void> {
  const child = n.daemon;
  if (!child || !running(n)) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

function lossRule(direction: 'in' | 'out', percent: number): { table: string[]; spec: string[] } {
  const sample = percent >= 100 ? [] : ['-m', 'statistic', '--mode', 'random', '--probability', (percent / 100).toFixed(2)];
  const mark = ['-m', 'comment', '--comment', LOSS_COMMENT, '-j', 'DROP'];
  return direction === 'in'
    ? { table: ['-t', 'raw'], spec: ['PREROUTING', '-i', 'eth0', ...sample, ...mark] }
    : { table: ['-t', 'mangle'], spec: ['POSTROUTING', '-o', 'eth0', ...sample, ...mark] };
}

/** The node's nats-server: the one started with its data dir's config file. */
async function natsServersOf(n: ClusterNode): Promise<number[]> {
  const config = join(n.dataDir, 'swarm', 'nats', 'nats-server.conf');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('nats-server') && argv.includes(config)) pids.push(Number(entry));
  }
  return pids;
}

/** After the faults: every daemon runs, every link is whole, no filler, no loss rule, clocks true. */
export async function healEverything(cluster: HostCluster): Promise<string[]> {
  const problems: string[] = [];
  for (const n of cluster.nodes) {
    try {
      await cluster.heal(n);
      if (n.daemon?.pid && running(n)) process.kill(n.daemon.pid, 'SIGCONT');
      if (existsSync(clockFileOf(n))) writeFileSync(clockFileOf(n), '+0s\n');
      await rm(join(n.dataDir, FILLER), { force: true });
      if (!running(n)) await cluster.startDaemon(n);
    } catch (err) {
      problems.push(`${n.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}
