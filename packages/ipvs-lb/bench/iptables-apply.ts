// How long one iptables apply takes as the number of services grows: each ensureService reads
// iptables-save and writes one iptables-restore transaction. Runs in a test-host namespace.
// Usage: pnpm --filter @flotilla/ipvs-lb bench:iptables [services=200]
import { performance } from 'node:perf_hooks';
import { createTestHosts } from '@flotilla/testkit';
import { IptablesBackend, type CommandRunner, type Vip } from '../src/index.js';

const total = Number(process.argv[2] ?? 200);
const th = await createTestHosts({ count: 1, prefix: 'flb' });
try {
  const h1 = th.hosts[0]!;
  const run: CommandRunner = async (argv, input) => (await h1.exec(argv, input !== undefined ? { input } : {})).stdout;
  const lb = new IptablesBackend({ run });
  const vip = (i: number): Vip => ({ addr: `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 80, protocol: 'tcp' });
  const backends = (i: number, n: number) => Array.from({ length: n }, (_, k) => ({ addr: `10.1.${i % 250}.${k + 1}`, port: 8080 }));
  const samples: Array<[number, number]> = [];
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    await lb.ensureService(vip(i), backends(i, 3));
    samples.push([i + 1, performance.now() - t0]);
  }
  for (const [n, ms] of samples.filter(([n]) => n === 1 || n % 50 === 0)) console.log(`add service #${n}: ${ms.toFixed(1)} ms`);
  const t1 = performance.now();
  await lb.ensureService(vip(0), backends(0, 2));
  console.log(`replace one service's backends with ${total} services installed: ${(performance.now() - t1).toFixed(1)} ms`);
  const t2 = performance.now();
  await lb.close();
  console.log(`remove all ${total} services: ${(performance.now() - t2).toFixed(1)} ms`);
} finally {
  await th.destroy();
}
