/** Splits "host:port" (IPv4 or a name; "[v6]:port" too) and refuses anything else. */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`gossip address must be host:port, got ${JSON.stringify(addr)}`);
  return { host: (m[1] ?? m[2])!, port };
}

export function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
