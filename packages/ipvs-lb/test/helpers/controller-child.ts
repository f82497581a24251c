// Runs a NodeLbController inside a test host's network namespace (started there with
// host.spawn), because its DNS servers must bind the gateway addresses that exist only in
// that namespace. Commands arrive as JSON lines on stdin; each gets one JSON line back.
import { createInterface } from 'node:readline';
import { NodeNetworkState } from '@flotilla/api';
import { IptablesBackend, IptablesMesh, KernelMeshWithLoopback, NodeLbController, UserspaceBackend, UserspaceMesh } from '../../src/index.js';

const [nodeId, addr, tag, kind = 'iptables', upstreamHost, upstreamPort] = process.argv.slice(2);
if (!nodeId || !addr || !tag) throw new Error('usage: controller-child <nodeId> <addr> <tag> [iptables|userspace [upstreamHost upstreamPort]]');
// userspace: VIPs and published ports proxied by this process (no iptables at all).
// iptables: as flotillad, the kernel mesh plus the 127.0.0.1 listeners.
const controller = new NodeLbController({
  local: { nodeId, addr },
  lb: kind === 'userspace' ? new UserspaceBackend() : new IptablesBackend({ chainPrefix: `FLT-V${tag}-` }),
  mesh: kind === 'userspace' ? new UserspaceMesh() : new KernelMeshWithLoopback(new IptablesMesh({ chainPrefix: `FLT-M${tag}-` })),
  ...(upstreamHost ? { upstream: { host: upstreamHost, port: Number(upstreamPort) } } : {}),
  retryMs: 200,
});

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { op: 'apply'; state: unknown } | { op: 'close' };
  const job = cmd.op === 'apply' ? controller.apply(NodeNetworkState.fromJSON(cmd.state)) : controller.close();
  job.then(
    () => {
      out({ ok: true });
      if (cmd.op === 'close') process.exit(0);
    },
    (err: Error) => out({ error: err.message }),
  );
});
out({ ready: true });
