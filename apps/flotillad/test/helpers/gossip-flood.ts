// The attacker of the gossip flood test, in a process of its own (so the test process stays
// free to watch the daemon): for `--seconds`, from `--from`, against `--target` (host:port):
// - `--streams` TCP connections to the push/pull listener, kept open: half send a length
//   prefix far over the frame cap, half one just under it; the first connection of each sends
//   768 KiB of body at once (what a listener that buffers before it authenticates would keep:
//   48 MiB for 64), then every connection trickles a byte every 500 ms; a connection the
//   daemon closes is opened again 250 ms later (64 trickling connections, not a
//   connection-rate flood: SYN floods are the kernel's to absorb);
// - random UDP datagrams (1 to 1,400 bytes, every 64th 9,000 bytes) as fast as this process
//   can send them.
// `--from` may be several addresses, comma-separated: the connections are spread over them
// (per-source caps then do not stop them; the total caps must).
// Prints one JSON line of what it sent when done. Sends only to the address it is given.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    from: { type: 'string' },
    seconds: { type: 'string', default: '30' },
    streams: { type: 'string', default: '64' },
    'no-udp': { type: 'boolean', default: false },
  },
});
const [host, portText] = (values.target ?? '').split(':');
const port = Number(portText);
const from = values.from;
const sources = (from ?? '').split(',').filter(Boolean);
if (!host || !port || sources.length === 0) throw new Error('usage: gossip-flood --target host:port --from addr [--seconds N] [--streams N]');
const endAt = Date.now() + Number(values.seconds) * 1000;
const FRAME_CAP = 1024 * 1024;

const sent = { connections: 0, streamBytes: 0, datagrams: 0, datagramBytes: 0 };
const sockets = new Set<net.Socket>();

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length);
  return h;
}

// Random bytes made once: the attacker's CPU goes into sending, not into the RNG.
const pool = randomBytes(2 * 1024 * 1024);
const noise = (size: number): Buffer => {
  const at = Math.floor(Math.random() * (pool.length - size));
  return pool.subarray(at, at + size);
};

const BODY_BURST = 768 * 1024;

function stream(slot: number, first: boolean): void {
  if (Date.now() >= endAt) return;
  const socket = net.connect({ host, port, localAddress: sources[slot % sources.length] });
  sockets.add(socket);
  sent.connections++;
  let trickle: NodeJS.Timeout | undefined;
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(trickle);
    sockets.delete(socket);
    setTimeout(() => stream(slot, false), 250);
  });
  socket.on('connect', () => {
    const prefix = slot % 2 === 0 ? header(0x7fffffff) : header(FRAME_CAP - 1);
    socket.write(prefix);
    sent.streamBytes += 4;
    if (first) {
      socket.write(noise(BODY_BURST));
      sent.streamBytes += BODY_BURST;
    }
    trickle = setInterval(() => {
      socket.write(randomBytes(1));
      sent.streamBytes++;
    }, 500);
  });
}

const udp = dgram.createSocket('udp4');
udp.bind(0, sources[0], () => {
  const burst = (): void => {
    if (values['no-udp']) {
      if (Date.now() >= endAt) return finish();
      setTimeout(burst, 100);
      return;
    }
    if (Date.now() >= endAt) return finish();
    for (let i = 0; i < 64; i++) {
      const size = sent.datagrams % 64 === 63 ? 9000 : 1 + Math.floor(Math.random() * 1400);
      udp.send(noise(size), port, host);
      sent.datagrams++;
      sent.datagramBytes += size;
    }
    setImmediate(burst);
  };
  burst();
});

for (let slot = 0; slot < Number(values.streams); slot++) stream(slot, true);

function finish(): void {
  for (const s of sockets) s.destroy();
  udp.close();
  process.stdout.write(`${JSON.stringify(sent)}\n`);
  process.exit(0);
}
