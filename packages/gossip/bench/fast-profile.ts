// flotillad's fast gossip profile (fastLanConfig(300)) on the deterministic simulation:
// false deaths of healthy members under loss, and how long a crash takes to be declared
// by every member. Usage:
//   pnpm --filter @flotilla/gossip exec tsx bench/fast-profile.ts --members 50 [--seconds 600]
//     [--seed 1] [--loss 0.05] [--max-delay 40] [--crashes 11] [--probe 300]
// Prints each false death with what its observer heard about the member, then one result line.
import { parseArgs } from 'node:util';
import type { GossipPacket } from '@flotilla/api';
import { fastLanConfig } from '../src/index.js';
import { SimCluster } from '../test/sim/sim-cluster.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
    loss: { type: 'string', default: '0.05' },
    'max-delay': { type: 'string', default: '40' },
    crashes: { type: 'string', default: '11' },
    probe: { type: 'string', default: '300' },
  },
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
});
const members = Number(values.members);
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const loss = Number(values.loss);
const maxDelayMs = Number(values['max-delay']);
const crashes = Number(values.crashes);
const period = Number(values.probe);
if (!Number.isInteger(members) || members < 3) throw new Error(`--members must be an integer of at least 3, got ${values.members}`);
if (!(seconds >= 0)) throw new Error(`--seconds must be zero or more, got ${values.seconds}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
if (!(loss >= 0 && loss < 1)) throw new Error(`--loss must be in [0, 1), got ${values.loss}`);
if (!(maxDelayMs >= 1)) throw new Error(`--max-delay must be at least 1 ms, got ${values['max-delay']}`);
if (!Number.isInteger(crashes) || crashes < 0) throw new Error(`--crashes must be a whole number, got ${values.crashes}`);
if (!(period >= 10)) throw new Error(`--probe must be at least 10 ms, got ${values.probe}`);

const config = fastLanConfig(period);
const net = { loss, minDelayMs: 1, maxDelayMs };
const log = (line: string) => process.stderr.write(`${line}\n`);
const wall = Date.now();

interface Heard { at: number; from: string; what: string }

// 1. Nobody crashes: every `dead` event is a false death. For each, list what its observer
//    heard about the member (rumours and which packet they rode on) since suspecting it.
function falseDeaths(): { deaths: number; incidents: number; suspicions: number; bytesPerMemberSecond: number } {
  const cluster = new SimCluster(seed, net, config);
  cluster.startWithRoster(members);
  const heard = new Map<string, Heard[]>(); // "observer>subject" → rumours, kept from its suspect event on
  for (const node of cluster.nodes) {
    const swim = node.swim;
    const receive = swim.receive.bind(swim);
    swim.receive = (fromAddr: string, packet: GossipPacket, now: number) => {
      for (const r of packet.rumours) {
        if (!r.kind || r.kind.$case === 'user') continue;
        const list = heard.get(`${swim.id}>${r.kind.value.node}`);
        if (list) list.push({ at: now, from: packet.from, what: `${r.kind.$case}(${r.kind.value.incarnation}) on ${packet.body?.$case ?? 'gossip'}` });
      }
      receive(fromAddr, packet, now);
    };
  }
  let deaths = 0;
  let suspicions = 0;
  const incidents = new Set<string>();
  cluster.onEvent((e) => {
    if (e.event.type === 'user') return;
    const key = `${e.observer}>${e.event.member.id}`;
    if (e.event.type === 'suspect') {
      suspicions++;
      heard.set(key, [{ at: e.at, from: '', what: `suspect(${e.event.member.incarnation}) event` }]);
    } else if (e.event.type === 'alive' || e.event.type === 'join') {
      heard.delete(key);
    } else if (e.event.type === 'dead') {
      deaths++;
      incidents.add(`${e.event.member.id}@${Math.floor(e.at / 30_000)}`);
      const story = (heard.get(key) ?? []).map((h) => `${(h.at / 1000).toFixed(3)} ${h.what}${h.from ? ` from ${h.from}` : ''}`);
      log(`false death at ${(e.at / 1000).toFixed(3)} s: ${e.observer} declared ${e.event.member.id} (incarnation ${e.event.member.incarnation}); heard since suspecting: ${story.join('; ')}`);
    }
  });
  cluster.run(10 * period);
  const bytes0 = cluster.bytesSent;
  const start = cluster.now;
  cluster.run(start + seconds * 1000);
  const bytesPerMemberSecond = seconds > 0 ? (cluster.bytesSent - bytes0) / members / seconds : 0;
  return { deaths, incidents: incidents.size, suspicions, bytesPerMemberSecond };
}

// 2. Crash detection: a fresh cluster per crash (seeded), the crash at a random phase of the
//    probe cycle; the time until every other member holds the crashed one dead.
function detectionTimes(): number[] {
  const times: number[] = [];
  for (let c = 0; c < crashes; c++) {
    const cluster = new SimCluster(seed * 1000 + c, net, config);
    cluster.startWithRoster(members);
    cluster.run(10 * period + ((c * 0.618) % 1) * period);
    const victim = (c * 7) % members;
    const id = SimCluster.id(victim);
    cluster.crash(victim);
    const crashedAt = cluster.now;
    const allSeeDead = () => cluster.nodes.every((n, i) => i === victim || n.swim.member(id)?.state === 'dead');
    if (!cluster.runUntil(allSeeDead, 200 * period, 5)) throw new Error(`crash ${c}: ${id} not declared dead by everyone within ${200 * period} ms`);
    times.push(cluster.now - crashedAt);
  }
  return times;
}

const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const fd = falseDeaths();
log(`${members} members, ${seconds} simulated s at ${loss * 100} % loss, 1–${maxDelayMs} ms delay: ${fd.suspicions} suspect events, ` +
  `${fd.deaths} false dead events (${fd.incidents} incidents), ${fd.bytesPerMemberSecond.toFixed(0)} B/member/s`);
const detect = detectionTimes();
log(`crash → dead at every member, ${crashes} crashes: ${detect.map((t) => t.toFixed(0)).join(', ')} ms (simulated); wall ${((Date.now() - wall) / 1000).toFixed(1)} s`);
console.log(`fast-profile: members=${members} probe_ms=${period} false_deaths=${fd.deaths} incidents=${fd.incidents} seconds=${seconds} ` +
  `detect_median_ms=${median(detect).toFixed(0)} detect_max_ms=${Math.max(...detect, 0).toFixed(0)} bytes_per_member_s=${fd.bytesPerMemberSecond.toFixed(0)}`);
