// Requests/s and p99 latency through a service VIP and through the routing mesh versus
// straight to the task, iptables and userspace back ends (VIP and mesh each), in test-host namespaces.
// h1 is a node with an overlay bridge, a task "container" (an HTTP server) and a client
// "container" on it; h2 is another machine reaching h1's published port. Each request is a
// new TCP connection (what the load balancer decides on), `CONCURRENCY` at a time.
// Usage: npm run bench:mesh   (or pnpm --filter @flotilla/ipvs-lb bench:mesh [seconds=3] [concurrency=16] [rounds=3])
import { createTestHosts, type TestHost } from '@flotilla/testkit';
import { startControllerIn } from '../test/helpers/controller-in-host.js';
import { makeContainer, makeOverlay, removeContainer, type FakeContainer, type OverlayDef } from '../test/helpers/overlay-fixture.js';
import { overlay, service, state } from '../test/helpers/network-state.js';

const SECONDS = Number(process.argv[2] ?? 3);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const ROUNDS = Number(process.argv[4] ?? 3);
const NET: OverlayDef = { vni: 4097, gateway: '198.19.1.1', prefixLen: 24 };
const INGRESS: OverlayDef = { vni: 4096, gateway: '198.19.255.1', prefixLen: 24 };
const TASK = '198.19.1.3';
const TASK_INGRESS = '198.19.255.3';
const VIP = '198.19.1.2';
const PUBLISHED = 18080;

// An HTTP/1.0 load generator: every request on a new connection; prints {done, errors, p50, p99} (ms).
const LOAD = `
const net = require('node:net');
const [addr, port, seconds, conc] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
const lat = []; let errors = 0;
const one = () => new Promise((resolve) => {
  const t0 = process.hrtime.bigint();
  const c = net.connect(Number(port), addr, () => c.write('GET / HTTP/1.0\\r\\n\\r\\n'));
  c.setTimeout(3000, () => c.destroy(new Error('timeout')));
  c.on('data', () => {});
  c.on('end', () => { lat.push(Number(process.hrtime.bigint() - t0) / 1e6); resolve(); });
  c.on('error', () => { errors++; resolve(); });
});
const worker = async () => { while (Date.now() < end) await one(); };
(async () => {
  await Promise.all(Array.from({ length: Number(conc) }, worker));
  lat.sort((a, b) => a - b);
  const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0;
  console.log(JSON.stringify({ done: lat.length, errors, p50: q(0.5), p99: q(0.99) }));
})();
`;
// The task: an HTTP server answering every request with a short body and closing.
const HTTPD = `
require('node:http').createServer((q, s) => { s.setHeader('connection', 'close'); s.end('task'); }).listen(80, '0.0.0.0', () => console.log('ready'));
`;

interface Result {
  rps: number;
  p99: number;
  errors: number;
}

async function load(from: TestHost, addr: string, port: number): Promise<Result> {
  const r = await from.exec([process.execPath, '-e', LOAD, addr, String(port), String(SECONDS), String(CONCURRENCY)], { timeoutMs: (SECONDS + 30) * 1000 });
  const o = JSON.parse(r.stdout) as { done: number; errors: number; p99: number };
  return { rps: o.done / SECONDS, p99: o.p99, errors: o.errors };
}

const fmt = (r: Result) => `${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`;
const ratio = (a: Result, b: Result) => (a.rps / b.rps).toFixed(2);
/** The median round by requests/s (its p99 with it). */
function median(rs: Result[]): Result {
  return [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)]!;
}

const th = await createTestHosts({ count: 2, prefix: 'fbm' });
const made: FakeContainer[] = [];
try {
  const [h1, h2] = th.hosts as [TestHost, TestHost];
  await makeOverlay(h1, NET, []);
  await makeOverlay(h1, INGRESS, []);
  const task = await makeContainer(h1, 'tk', [{ net: NET, ip: TASK }, { net: INGRESS, ip: TASK_INGRESS }], INGRESS.gateway);
  const client = await makeContainer(h1, 'cl', [{ net: NET, ip: '198.19.1.10' }], NET.gateway);
  made.push(task, client);
  // h2 reaches the task directly through h1 (what "direct" means for an outside client).
  await h2.exec(['ip', 'route', 'add', '198.19.255.0/24', 'via', h1.addr]);
  await h1.exec(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  const httpd = task.spawn([process.execPath, '-e', HTTPD], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => httpd.stdout!.once('data', () => resolve()));

  const st = state(
    1,
    [overlay('ing', 'ingress', '198.19.255.0/24', INGRESS.gateway, INGRESS.vni, [], true), overlay('net1', 'mynet', '198.19.1.0/24', NET.gateway, NET.vni, [])],
    [
      service('svc-web', 'web', {
        vips: { net1: `${VIP}/24`, ing: '198.19.255.2/24' },
        ports: [{ target: 80, published: PUBLISHED }],
        tasks: [{ id: 'task1', slot: 1, node: 'n1', nodeAddr: h1.addr, addrs: { net1: `${TASK}/24`, ing: `${TASK_INGRESS}/24` } }],
      }),
    ],
  );

  // Rounds alternate the paths so a change in machine load (2 shared cores) hits all alike;
  // each figure is the median over the rounds.
  await load(client, TASK, 80); // warm up: ARP, the server's JIT
  const runs: Record<string, Result[]> = { direct: [], directOutside: [], vipIpt: [], meshIpt: [], vipUs: [], meshUs: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.direct!.push(await load(client, TASK, 80));
    runs.directOutside!.push(await load(h2, TASK_INGRESS, 80));
    const ipt = await startControllerIn(h1, 'n1', 'bm');
    await ipt.apply(st);
    runs.vipIpt!.push(await load(client, VIP, 80));
    runs.meshIpt!.push(await load(h2, h1.addr, PUBLISHED));
    await ipt.close();
    const us = await startControllerIn(h1, 'n1', 'bm', { kind: 'userspace' });
    await us.apply(st);
    runs.vipUs!.push(await load(client, VIP, 80));
    runs.meshUs!.push(await load(h2, h1.addr, PUBLISHED));
    await us.close();
  }
  const m = (k: string) => median(runs[k]!);
  const [direct, directOutside, vipIpt, meshIpt, vipUs, meshUs] = ['direct', 'directOutside', 'vipIpt', 'meshIpt', 'vipUs', 'meshUs'].map(m) as [Result, Result, Result, Result, Result, Result];
  console.log(`direct (container -> task)            ${fmt(direct)}`);
  console.log(`VIP, iptables (container -> VIP)      ${fmt(vipIpt)}`);
  console.log(`VIP, userspace (container -> VIP)     ${fmt(vipUs)}`);
  console.log(`direct (other host -> task)           ${fmt(directOutside)}`);
  console.log(`mesh, iptables (other host -> :${PUBLISHED}) ${fmt(meshIpt)}`);
  console.log(`mesh, userspace (other host -> :${PUBLISHED}) ${fmt(meshUs)}`);
  console.log(
    `mesh: vip_vs_direct=${ratio(vipIpt, direct)} userspace_vip_vs_direct=${ratio(vipUs, direct)} iptables_vs_direct=${ratio(meshIpt, directOutside)} ` +
      `userspace_vs_direct=${ratio(meshUs, directOutside)} iptables_p99_ms=${meshIpt.p99.toFixed(2)} userspace_p99_ms=${meshUs.p99.toFixed(2)} ` +
      `direct_p99_ms=${directOutside.p99.toFixed(2)} rounds=${ROUNDS} concurrency=${CONCURRENCY} seconds=${SECONDS}`,
  );
} finally {
  for (const c of made) await removeContainer(th.hosts[0]!, c);
  await th.destroy();
}
