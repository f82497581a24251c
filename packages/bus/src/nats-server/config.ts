// Renders the nats-server configuration file. Pure: no files, no processes.
// TLS is not optional here: the client port always requires a client
// certificate from the given CA, users are mapped from certificate subjects
// (verify_and_map), and cluster routes require mutual TLS too.
import type { SubjectPermissions, SubjectRules } from '../permissions.js';

export interface NatsTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface NatsUser {
  /** The certificate subject as nats-server prints it, e.g. "CN=node1,OU=flotilla-worker,O=cluster1". */
  user: string;
  permissions?: SubjectPermissions;
}

export interface NatsClusterConfig {
  name: string;
  host: string;
  port: number;
  /** Other members, e.g. "nats-route://127.0.0.12:6222". */
  routes: string[];
  /**
   * The only public keys a route may present, either way (hex sha256 of the DER
   * SubjectPublicKeyInfo, nats-server's `pinned_certs`): a chain to the CA alone would let any
   * node of the cluster route in, and subject permissions do not apply to routes. At least one
   * (the server's own). A reload re-checks open routes and drops those no longer pinned.
   */
  pinnedKeys: string[];
}

/**
 * Limits every Flotilla nats-server runs with, set explicitly rather than left to nats-server's
 * defaults (see the bus README, "Limits"). Pure data; override only in tests.
 */
export interface NatsLimits {
  /** Largest message. Raft sends 512 KiB appends in 256 KiB chunks; 1 MiB leaves room for headers. */
  maxPayloadBytes: number;
  /** Bytes buffered for one slow connection before nats-server closes it. */
  maxPendingBytes: number;
  /** Client connections, the pre-TLS ones included. */
  maxConnections: number;
  /** A write to a connection that blocks this long closes it (a vanished peer with a full socket buffer). */
  writeDeadlineSec: number;
  /** PING every this many seconds... */
  pingIntervalSec: number;
  /** ...and close a client or route after this many unanswered: a vanished peer goes in about interval x (max + 1). */
  pingMax: number;
}

export const NATS_LIMITS: Readonly<NatsLimits> = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxPendingBytes: 64 * 1024 * 1024,
  maxConnections: 10_000,
  writeDeadlineSec: 5,
  pingIntervalSec: 2,
  pingMax: 2,
});

export interface NatsServerConfig {
  serverName: string;
  host: string;
  port: number;
  /** HTTP monitoring; off when absent. Only loopback hosts are accepted. */
  monitor?: { host: string; port: number };
  cluster?: NatsClusterConfig;
  tls: NatsTlsFiles;
  /** At least one user: without users nats-server would admit any certificate the CA signed. */
  users: NatsUser[];
  /** Seconds allowed for a TLS handshake (default 2). */
  tlsTimeoutSec?: number;
  /** Defaults to NATS_LIMITS. */
  limits?: Partial<NatsLimits>;
}

/**
 * The user name nats-server's verify_and_map derives from a certificate with
 * these subject fields: the RFC 2253 string, most specific first, as Go's
 * pkix.Name prints it (e.g. "CN=node1,OU=flotilla-worker,O=cluster1").
 */
export function certificateUserName(subject: { cn: string; ou?: string; o?: string }): string {
  const parts = [`CN=${escapeDnValue(subject.cn)}`];
  if (subject.ou !== undefined) parts.push(`OU=${escapeDnValue(subject.ou)}`);
  if (subject.o !== undefined) parts.push(`O=${escapeDnValue(subject.o)}`);
  return parts.join(',');
}

// Go's pkix escaping: these characters anywhere, a space at either end, a '#' first.
function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, i) => {
      const escape =
        ',+"\\<>;'.includes(c) || (c === ' ' && (i === 0 || i === chars.length - 1)) || (c === '#' && i === 0);
      return escape ? `\\${c}` : c;
    })
    .join('');
}

export class NatsConfigError extends Error {
  constructor(message: string) {
    super(`nats-server config: ${message}`);
    this.name = 'NatsConfigError';
  }
}

export function renderNatsConfig(cfg: NatsServerConfig): string {
  validate(cfg);
  const tlsTimeout = cfg.tlsTimeoutSec ?? 2;
  const lines: string[] = [
    '# Written by @flotilla/bus; rewritten on every start and reload.',
    `server_name: ${str(cfg.serverName)}`,
    `host: ${str(cfg.host)}`,
    `port: ${cfg.port}`,
    ...limitLines(limitsOf(cfg)),
  ];
  if (cfg.monitor) lines.push(`http: ${str(`${cfg.monitor.host}:${cfg.monitor.port}`)}`);
  lines.push(
    'tls {',
    ...tlsBlock(cfg.tls, tlsTimeout).map(indent),
    '  verify: true',
    '  verify_and_map: true',
    '}',
    'authorization {',
    '  users: [',
    ...cfg.users.map((u) => `    ${userEntry(u)}`),
    '  ]',
    '}',
  );
  if (cfg.cluster) {
    const c = cfg.cluster;
    lines.push(
      'cluster {',
      `  name: ${str(c.name)}`,
      `  host: ${str(c.host)}`,
      `  port: ${c.port}`,
      `  routes: [${c.routes.map(str).join(', ')}]`,
      '  tls {',
      ...tlsBlock(cfg.tls, tlsTimeout).map((l) => indent(indent(l))),
      '    verify: true',
      `    pinned_certs: [${c.pinnedKeys.map(str).join(', ')}]`,
      '  }',
      '}',
    );
  }
  // No leafnodes {} and no gateway {} block, ever: both would be listeners outside this trust model.
  return `${lines.join('\n')}\n`;
}

export function limitsOf(cfg: NatsServerConfig): NatsLimits {
  return { ...NATS_LIMITS, ...cfg.limits };
}

function limitLines(l: NatsLimits): string[] {
  return [
    `max_payload: ${l.maxPayloadBytes}`,
    `max_pending: ${l.maxPendingBytes}`,
    `max_connections: ${l.maxConnections}`,
    `write_deadline: "${l.writeDeadlineSec}s"`,
    `ping_interval: "${l.pingIntervalSec}s"`,
    `ping_max: ${l.pingMax}`,
  ];
}

function tlsBlock(tls: NatsTlsFiles, timeoutSec: number): string[] {
  return [
    `cert_file: ${str(tls.certFile)}`,
    `key_file: ${str(tls.keyFile)}`,
    `ca_file: ${str(tls.caFile)}`,
    `timeout: ${timeoutSec}`,
  ];
}

function userEntry(u: NatsUser): string {
  const p = u.permissions;
  if (!p) return `{ user: ${str(u.user)} }`;
  const parts: string[] = [];
  if (p.publish) parts.push(`publish: ${rules(p.publish)}`);
  if (p.subscribe) parts.push(`subscribe: ${rules(p.subscribe)}`);
  if (p.allowResponses) parts.push('allow_responses: true');
  return `{ user: ${str(u.user)}, permissions: { ${parts.join(', ')} } }`;
}

function rules(r: SubjectRules): string {
  const parts: string[] = [];
  // An empty allow list means "nothing"; nats-server would read a missing one as "everything".
  parts.push(`allow: [${(r.allow ?? []).map(str).join(', ')}]`);
  if (r.deny && r.deny.length > 0) parts.push(`deny: [${r.deny.map(str).join(', ')}]`);
  return `{ ${parts.join(', ')} }`;
}

function indent(line: string): string {
  return `  ${line}`;
}

// JSON string syntax is a subset of what the nats config parser reads in double quotes.
function str(value: string): string {
  return JSON.stringify(value);
}

function validate(cfg: NatsServerConfig): void {
  nonEmpty('serverName', cfg.serverName);
  nonEmpty('host', cfg.host);
  port('port', cfg.port);
  if (cfg.monitor) {
    if (!isLoopback(cfg.monitor.host)) {
      throw new NatsConfigError(`monitor host ${JSON.stringify(cfg.monitor.host)} must be a loopback address`);
    }
    port('monitor port', cfg.monitor.port);
  }
  for (const [what, file] of Object.entries(cfg.tls)) nonEmpty(`tls.${what}`, file);
  if (cfg.tlsTimeoutSec !== undefined && !(cfg.tlsTimeoutSec > 0)) {
    throw new NatsConfigError(`tlsTimeoutSec must be positive, got ${cfg.tlsTimeoutSec}`);
  }
  const limits = limitsOf(cfg);
  for (const [what, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new NatsConfigError(`limit ${what} must be a positive whole number, got ${value}`);
  }
  if (limits.maxPayloadBytes > limits.maxPendingBytes) {
    throw new NatsConfigError(`limit maxPayloadBytes (${limits.maxPayloadBytes}) must not exceed maxPendingBytes (${limits.maxPendingBytes})`);
  }
  if (cfg.users.length === 0) {
    throw new NatsConfigError('at least one user is required (without users any certificate of the CA would be admitted)');
  }
  const seen = new Set<string>();
  for (const u of cfg.users) {
    nonEmpty('user', u.user);
    if (seen.has(u.user)) throw new NatsConfigError(`user ${JSON.stringify(u.user)} is listed twice`);
    seen.add(u.user);
    const p = u.permissions;
    for (const [kind, r] of [['publish', p?.publish], ['subscribe', p?.subscribe]] as const) {
      for (const s of [...(r?.allow ?? []), ...(r?.deny ?? [])]) subject(`${u.user} ${kind}`, s);
    }
  }
  if (cfg.cluster) {
    const c = cfg.cluster;
    nonEmpty('cluster.name', c.name);
    if (/\s/.test(c.name)) throw new NatsConfigError(`cluster.name ${JSON.stringify(c.name)} must not contain whitespace`);
    nonEmpty('cluster.host', c.host);
    port('cluster.port', c.port);
    for (const r of c.routes) {
      if (!/^nats-route:\/\/[^\s/]+:\d+$/.test(r)) {
        throw new NatsConfigError(`route ${JSON.stringify(r)} must look like nats-route://host:port`);
      }
    }
    if (!Array.isArray(c.pinnedKeys) || c.pinnedKeys.length === 0) {
      throw new NatsConfigError('cluster.pinnedKeys must name at least one key (without pinning any certificate of the CA could route in)');
    }
    for (const k of c.pinnedKeys) {
      if (typeof k !== 'string' || !/^[0-9a-f]{64}$/.test(k)) {
        throw new NatsConfigError(`pinned route key ${JSON.stringify(k)} must be 64 lowercase hex characters (sha256 of a SubjectPublicKeyInfo)`);
      }
    }
  }
}

function nonEmpty(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new NatsConfigError(`${what} must not be empty`);
}

function port(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new NatsConfigError(`${what} must be an integer from 1 to 65535, got ${value}`);
  }
}

function subject(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || /\s/.test(value) || value.startsWith('.') || value.endsWith('.') || value.includes('..')) {
    throw new NatsConfigError(`${what} permission subject ${JSON.stringify(value)} is not a valid subject`);
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
