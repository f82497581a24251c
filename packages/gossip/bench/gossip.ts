// Gossip benchmark on the deterministic simulation (simulated time, real protobuf codec).
// Usage: pnpm bench:gossip -- --members N [--seed S] [--seconds W]
// Timing is memberlist's LAN profile: probe every 1000 ms (500 ms ack timeout), gossip
// every 200 ms to 3 members. Prints one result line at the end.
import { parseArgs } from 'node:util';
import { LAN_CONFIG, pushPullInterval } from '../src/index.js';
import { SimCluster } from '../test/sim/sim-cluster.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string' },
    broadcasts: { type: 'string', default: '5' },
  },
  // pnpm hands over the `--` separator itself; everything is an option here.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
});
const members = Number(values.members);
const seed = Number(values.seed);
const broadcasts = Number(values.broadcasts);
if (!Number.isInteger(members) || members < 3) throw new Error(`--members must be an integer of at least 3, got ${values.members}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
if (!Number.isInteger(broadcasts) || broadcasts < 1) throw new Error(`--broadcasts must be a positive integer, got ${values.broadcasts}`);
// Long enough to include one full push/pull round of every member (the interval grows with N).
const windowMs = values.seconds ? Number(values.seconds) * 1000 : Math.max(60_000, pushPullInterval(LAN_CONFIG, members));
if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error(`--seconds must be positive, got ${values.seconds}`);

const wall = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);

// 1. Convergence: time for one user broadcast to reach 99 % of members, no loss.
function measureConvergence(): { p99: number[]; all: number[] } {
  const cluster = new SimCluster(seed, { loss: 0 });
  cluster.startWithRoster(members);
  cluster.run(5 * LAN_CONFIG.probeIntervalMs);
  const receivers = new Map<string, Set<string>>();
  cluster.onEvent((e) => {
    if (e.event.type !== 'user') return;
    const key = `${e.event.origin}:${e.event.seq}`;
    const set = receivers.get(key) ?? new Set<string>();
    set.add(e.observer);
    receivers.set(key, set);
  });
  const p99: number[] = [];
  const all: number[] = [];
  for (let b = 0; b < broadcasts; b++) {
    const origin = (b * 7919) % members;
    const start = cluster.now;
    const seq = cluster.broadcast(origin, Buffer.from(`bench-${b}`));
    const got = () => receivers.get(`node-${origin}:${seq}`)?.size ?? 0;
    cluster.runUntil(() => got() >= Math.ceil(0.99 * (members - 1)), 60_000, 5);
    p99.push(cluster.now - start);
    cluster.runUntil(() => got() >= members - 1, 60_000, 5);
    all.push(cluster.now - start);
    cluster.run(cluster.now + 10 * LAN_CONFIG.probeIntervalMs);
  }
  return { p99, all };
}

// 2+3. Steady state at 5 % UDP loss: bytes on the wire and members wrongly declared dead.
function measureSteadyState(): { bytesPerMemberSecond: number; falseDeaths: number; suspicions: number; lossRate: number } {
  const cluster = new SimCluster(seed + 1, { loss: 0.05, minDelayMs: 1, maxDelayMs: 10 });
  cluster.startWithRoster(members);
  cluster.run(10_000);
  let falseDeaths = 0;
  let suspicions = 0;
  const declared = new Set<string>();
  cluster.onEvent((e) => {
    if (e.event.type === 'suspect') suspicions++;
    // One incident = one member declared dead by anyone (nobody crashes in this run).
    if (e.event.type === 'dead' && !declared.has(e.event.member.id)) {
      declared.add(e.event.member.id);
      falseDeaths++;
    }
    if (e.event.type === 'join') declared.delete(e.event.member.id);
  });
  const bytes0 = cluster.bytesSent;
  const sent0 = cluster.packetsSent;
  const lost0 = cluster.packetsLost;
  const start = cluster.now;
  cluster.run(start + windowMs);
  const seconds = (cluster.now - start) / 1000;
  return {
    bytesPerMemberSecond: (cluster.bytesSent - bytes0) / members / seconds,
    falseDeaths,
    suspicions,
    lossRate: (cluster.packetsLost - lost0) / Math.max(1, cluster.packetsSent - sent0),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const conv = measureConvergence();
log(`convergence to 99 %: ${conv.p99.map((x) => x.toFixed(0)).join(', ')} ms; to 100 %: ${conv.all.map((x) => x.toFixed(0)).join(', ')} ms (simulated)`);
const steady = measureSteadyState();
const hours = windowMs / 3_600_000;
const fpPerHour = steady.falseDeaths / hours;
log(`steady state over ${(windowMs / 1000).toFixed(0)} simulated s at ${(steady.lossRate * 100).toFixed(1)} % UDP loss: ` +
  `${steady.bytesPerMemberSecond.toFixed(0)} B/member/s (push/pull included), ${steady.suspicions} suspect events (all refuted unless counted below), ` +
  `${steady.falseDeaths} members wrongly declared dead → ${fpPerHour.toFixed(2)} per hour; wall ${((Date.now() - wall) / 1000).toFixed(1)} s`);
console.log(`gossip: members=${members} converge_ms=${median(conv.p99).toFixed(0)} bytes_per_member_s=${steady.bytesPerMemberSecond.toFixed(0)} false_positives=${fpPerHour.toFixed(2)}`);
