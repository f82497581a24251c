// What a flood of push/pull streams from strangers costs a GossipNode in memory, and whether it
// comes back: a GossipNode in this process (127.0.0.1, ephemeral port), and a child process
// (this file with --attack) that opens `--streams` TCP connections from `--sources` addresses
// 127.13.2.1.. (loopback), each sending a length prefix just under the frame cap, 768 KiB of body
// on its first go, then a byte every 500 ms, reconnecting 250 ms after the node closes it, for
// `--seconds`. Prints one line: RSS and V8 heap over idle at the peak, right after the attack,
// 10 s later, and after a full GC (run with --expose-gc; the daemon's --max-semi-space-size=1
// too, as bin/flotillad does):
//   node --expose-gc --max-semi-space-size=1 --import tsx bench/stream-flood-memory.ts --sources 10
import { fork } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GossipNode, Keyring, MAX_FRAME_BYTES, newGossipKey, parseAddr } from '../src/index.js';

const { values } = parseArgs({
  options: {
    attack: { type: 'string' },
    sources: { type: 'string', default: '10' },
    streams: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '20' },
  },
});
const MB = 1024 * 1024;

if (values.attack) attack(Number(values.attack));
else await measure();

function attack(port: number): void {
  const sources = Array.from({ length: Number(values.sources) }, (_, i) => `127.13.2.${i + 1}`);
  const endAt = Date.now() + Number(values.seconds) * 1000;
  const body = randomBytes(768 * 1024);
  let connections = 0;
  const open = new Set<net.Socket>();
  const stream = (slot: number, first: boolean): void => {
    if (Date.now() >= endAt) return;
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: sources[slot % sources.length] });
    open.add(socket);
    connections++;
    let trickle: NodeJS.Timeout | undefined;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      open.delete(socket);
      setTimeout(() => stream(slot, false), 250);
    });
    socket.on('connect', () => {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(MAX_FRAME_BYTES - 1);
      socket.write(first ? Buffer.concat([h, body]) : h);
      trickle = setInterval(() => socket.write(randomBytes(1)), 500);
    });
  };
  for (let slot = 0; slot < Number(values.streams); slot++) stream(slot, true);
  setTimeout(() => {
    for (const s of open) s.destroy();
    process.send?.({ connections });
    process.exit(0);
  }, endAt - Date.now());
}

async function measure(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const node = await GossipNode.start({ id: 'bench', host: '127.0.0.1', port: 0, keyring: new Keyring(newGossipKey()) });
  const sample = (): { rss: number; heap: number; external: number } => {
    const m = process.memoryUsage();
    // external already includes arrayBuffers (every Buffer's memory).
    return { rss: m.rss, heap: m.heapUsed, external: m.external };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(1000);
  gc?.();
  const idle = sample();
  const child = fork(fileURLToPath(import.meta.url), ['--attack', String(parseAddr(node.addr).port), '--sources', values.sources!, '--streams', values.streams!, '--seconds', values.seconds!], {
    execArgv: ['--import', 'tsx'],
  });
  let sent = 0;
  child.on('message', (m: { connections: number }) => (sent = m.connections));
  let over = false;
  child.on('exit', () => (over = true));
  let peak = idle;
  while (!over) {
    const s = sample();
    if (s.rss > peak.rss) peak = s;
    await sleep(200);
  }
  const after = sample();
  await sleep(10_000);
  const later = sample();
  gc?.();
  await sleep(500);
  const collected = sample();
  const d = (s: { rss: number }) => ((s.rss - idle.rss) / MB).toFixed(1);
  const refused = node.refused().map((r) => `${r.cause}:${r.count}`).join(',');
  await node.stop();
  console.log(
    `gossip-stream-flood-memory: sources=${values.sources} streams=${values.streams} seconds=${values.seconds} connections=${sent} idle_rss_mb=${(idle.rss / MB).toFixed(1)} ` +
      `peak_rss_over_mb=${d(peak)} after_rss_over_mb=${d(after)} after_10s_rss_over_mb=${d(later)} after_gc_rss_over_mb=${gc ? d(collected) : 'n/a'} ` +
      `after_10s_heap_over_mb=${((later.heap - idle.heap) / MB).toFixed(1)} after_10s_external_over_mb=${((later.external - idle.external) / MB).toFixed(1)} after_gc_external_over_mb=${((collected.external - idle.external) / MB).toFixed(1)} refused=${refused}`,
  );
}
