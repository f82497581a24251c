import dgram from 'node:dgram';

export interface UpstreamResolver {
  host: string;
  port: number;
}

/** Sends one raw query to the upstream resolver over UDP; resolves its raw reply, or undefined on timeout. */
export function forwardUdp(upstream: UpstreamResolver, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const done = (msg: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      // A stray datagram with another id is not our answer.
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(msg);
    });
    sock.send(query, upstream.port, upstream.host, (err) => {
      if (err) done(undefined);
    });
  });
}
