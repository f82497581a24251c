import type { BusConnection } from '@flotilla/bus';

type NatsConnection = BusConnection['nc'];

export interface BusTlsPems {
  ca: string;
  cert: string;
  key: string;
}

/**
 * Puts a renewed certificate into a live NATS connection and reconnects with it, so the server
 * verifies the new certificate now (not at some later reconnect, possibly after the old one
 * expired). The client re-subscribes on reconnect; nothing held by the node (containers, Raft
 * state) goes with the socket.
 *
 * nats.js reads `options.tls` at every (re)connect but offers no setter: this reaches into the
 * connection's options object, and says so loudly if a nats.js upgrade moves it.
 */
export async function reloadBusTls(nc: NatsConnection, pems: BusTlsPems): Promise<void> {
  const options = (nc as unknown as { options?: { tls?: Record<string, unknown> | null } }).options;
  const tls = options?.tls;
  if (!tls || typeof tls !== 'object') {
    throw new Error('reloading the NATS client certificate: the connection has no TLS options object to update (nats.js internals changed?)');
  }
  tls['ca'] = pems.ca;
  tls['cert'] = pems.cert;
  tls['key'] = pems.key;
  await nc.reconnect();
}
