// Failover end to end on test hosts: real flotillad daemons, each in its own network namespace
// with its own Docker Engine (packages/testkit test hosts), one manager and N-1 workers. A worker
// host that runs the 5 tasks of a service is crashed (everything in it SIGKILLed, like a pulled
// power cord); we measure
//   detect_ms   — crash → the leader's dispatcher marks the node Down (the time stamp of its
//                 "marking node down" log line, written just before the store write),
//   replaced_ms — crash → 5 containers of the service running on the surviving hosts' engines,
//   start_floor_ms (stderr) — the same 5 containers created and started straight through the
//                 survivors' Engine APIs, in parallel: what replaced_ms − detect_ms cannot beat.
// Docker's swarm mode waits out the heartbeat (5 s × grace) before it even starts replacing.
//   tsx bench/failover.ts [--hosts N] [--reps N] [--probe-interval 500ms]   (flotillad --gossip-probe-interval)
import Docker from 'dockerode';
import { parseArgs } from 'node:util';
import { startHostCluster, type ClusterNode, type HostCluster } from '../test/helpers/host-cluster.js';
import { Cleanup } from './cleanup.js';

const SERVICE = 'failover';
const REPLICAS = 5;
const DEADLINE_MS = 120_000;
const POLL_MS = 20;

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '4' }, reps: { type: 'string', default: '1' }, 'probe-interval': { type: 'string' } } });
const hostCount = Number(values.hosts);
const reps = Number(values.reps);
if (!Number.isInteger(hostCount) || hostCount < 3) throw new Error(`--hosts must be 3 or more, got ${values.hosts}`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be 1 or more, got ${values.reps}`);

const log = (line: string) => process.stderr.write(`${line}\n`);

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`failover bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function engineOf(node: ClusterNode): Docker {
  return new Docker({ socketPath: node.host.dockerHost!.replace(/^unix:\/\//, '') });
}

async function runningOn(node: ClusterNode): Promise<number> {
  const list = await engineOf(node).listContainers({ filters: { label: [`io.flotilla.service.name=${SERVICE}`], status: ['running'] } });
  return list.length;
}

/** When the leader's dispatcher logged marking `victim` down, from its pino line (ms since the epoch). */
function markedDownAt(c: HostCluster, victim: ClusterNode, after: number): number | undefined {
  for (const line of c.log(c.leader).split('\n')) {
    if (!line.includes('marking node down') || !line.includes(victim.nodeId)) continue;
    const entry = JSON.parse(line) as { time?: number; nodeId?: string; msg?: string };
    if (entry.msg === 'marking node down' && entry.nodeId === victim.nodeId && (entry.time ?? 0) >= after) return entry.time;
  }
  return undefined;
}

/** Every task of the service on `victim`: the other nodes drained while it is created, then active again. */
async function placeAllOn(c: HostCluster, victim: ClusterNode): Promise<void> {
  const others = c.nodes.filter((n) => n !== victim);
  for (const n of others) await c.ok(c.leader, 'node', 'update', '--availability', 'drain', n.nodeId);
  await c.ok(c.leader, 'service', 'create', '--detach', '--replicas', String(REPLICAS), '--name', SERVICE, 'flotilla/busybox:latest', 'sleep', '100000');
  await until(`${REPLICAS} tasks running on ${victim.name}`, async () => ((await runningOn(victim)) === REPLICAS ? true : undefined));
  for (const n of others) await c.ok(c.leader, 'node', 'update', '--availability', 'active', n.nodeId);
}

/** Creates and starts REPLICAS containers over `nodes` in parallel, straight through their engines; ms until all run. */
async function startFloor(nodes: readonly ClusterNode[]): Promise<number> {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: REPLICAS }, async (_, i) => {
      const engine = engineOf(nodes[i % nodes.length]!);
      const container = await engine.createContainer({ Image: 'flotilla/busybox:latest', Cmd: ['sleep', '100000'], Labels: { 'io.flotilla.bench': 'floor' } });
      await container.start();
    }),
  );
  return Date.now() - started;
}

async function once(rep: number): Promise<{ detectMs: number; replacedMs: number; floorMs: number }> {
  const cleanup = new Cleanup();
  cleanup.onSignals(log);
  try {
    log(`failover: rep ${rep}: starting ${hostCount} test hosts with flotillad`);
    const probe = values['probe-interval'];
    const c = await startHostCluster({ count: hostCount, logLevel: 'info', ...(probe ? { daemonArgs: ['--gossip-probe-interval', probe] } : {}) });
    cleanup.add('test hosts', () => c.destroy());
    const victim = c.nodes[1]!;
    const survivors = c.nodes.filter((n) => n !== victim);
    await placeAllOn(c, victim);
    log(`failover: rep ${rep}: ${REPLICAS} tasks on ${victim.name}; crashing it`);
    const crashedAt = Date.now();
    await c.kill(victim);
    const replacedAt = await until(`${REPLICAS} replacements running on the survivors`, async () => {
      const counts = await Promise.all(survivors.map((n) => runningOn(n)));
      return counts.reduce((a, b) => a + b, 0) >= REPLICAS ? Date.now() : undefined;
    });
    const downAt = await until(`${victim.name} marked down`, () => markedDownAt(c, victim, crashedAt));
    const floorMs = await startFloor(survivors);
    return { detectMs: downAt - crashedAt, replacedMs: replacedAt - crashedAt, floorMs };
  } finally {
    await cleanup.runAll(log);
  }
}

const results: { detectMs: number; replacedMs: number; floorMs: number }[] = [];
for (let rep = 1; rep <= reps; rep++) {
  const r = await once(rep);
  log(`failover: rep ${rep}: detect_ms=${r.detectMs} replaced_ms=${r.replacedMs} (after Down: ${r.replacedMs - r.detectMs} ms; start_floor_ms=${r.floorMs})`);
  results.push(r);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
log(`failover: median start_floor_ms=${median(results.map((r) => r.floorMs))} (${REPLICAS} containers started straight through the survivors' engines)`);
process.stdout.write(`failover: detect_ms=${median(results.map((r) => r.detectMs))} replaced_ms=${median(results.map((r) => r.replacedMs))}\n`);
