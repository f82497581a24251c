// Request/reply round trips over mutual TLS to a local supervised nats-server.
// Run on purpose: pnpm --filter @flotilla/bus bench
// Prints one line: sequential latency percentiles and pipelined throughput.
import { join } from 'node:path';
import { Annotations, Meta } from '@flotilla/api';
import { clusterSubjects, connectBus, managerPermissions, NatsServerSupervisor, request, serve } from '../src/index.js';
import { makeTestPki } from '../../testkit/src/pki.js';
import { tempDir } from '../../testkit/src/temp.js';

const SEQUENTIAL = 5_000;
const PIPELINED = 20_000;
const IN_FLIGHT = 64;

const subjects = clusterSubjects('bench');
const dir = await tempDir('flotilla-bench-');
const pki = await makeTestPki(join(dir.path, 'pki'), {
  clients: [
    { name: 'a', cn: 'a', o: 'bench' },
    { name: 'b', cn: 'b', o: 'bench' },
  ],
});
const perms = managerPermissions(subjects);
const nats = new NatsServerSupervisor({
  configDir: join(dir.path, 'nats'),
  serverName: 'bench',
  host: '127.0.0.1',
  port: 0,
  tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
  users: [
    { user: pki.clients.a!.dn, permissions: perms },
    { user: pki.clients.b!.dn, permissions: perms },
  ],
});
await nats.start();
const tls = (n: 'a' | 'b') => ({ ca: pki.ca.cert, cert: pki.clients[n]!.cert, key: pki.clients[n]!.key });
const server = await connectBus({ servers: [nats.url], tls: tls('a'), inboxPrefix: subjects.node.inboxPrefix('a') });
const client = await connectBus({ servers: [nats.url], tls: tls('b'), inboxPrefix: subjects.node.inboxPrefix('b') });
const subject = subjects.control.method('Bench');
const served = serve(server.nc, subject, Annotations, Meta, (req) => Meta.fromPartial({ version: req.name.length }));
await server.nc.flush();
const req = Annotations.fromPartial({ name: 'service-frontend', labels: { tier: 'web', env: 'prod' } });
const call = () => request(client.nc, subject, Annotations, req, Meta, { timeoutMs: 5_000 });

for (let i = 0; i < 500; i++) await call(); // warm-up
const lat: number[] = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  const t = process.hrtime.bigint();
  await call();
  lat.push(Number(process.hrtime.bigint() - t) / 1e3);
}
lat.sort((x, y) => x - y);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(0);

let next = 0;
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next++ < PIPELINED) await call();
  }),
);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;

await served.stop();
await client.close();
await server.close();
await nats.stop();
await dir.cleanup();
console.log(
  `bus request/reply mTLS loopback: sequential n=${SEQUENTIAL} p50=${pct(50)}us p99=${pct(99)}us; pipelined n=${PIPELINED} in-flight=${IN_FLIGHT} ${(PIPELINED / secs).toFixed(0)} req/s`,
);
