import { isLoopback } from '@flotilla/bus';
import { isIP } from 'node:net';
import { isAbsolute, resolve, dirname, join } from 'node:path';

/** Thrown for a flag value that cannot be used; the message is the whole line the user sees. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// sockaddr_un.sun_path is 108 bytes on Linux, one of which is the terminating NUL.
export const MAX_SOCKET_PATH_BYTES = 107;

const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._\/-]*[A-Za-z0-9])?$/;
const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function parseLabels(raw: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of raw) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new ConfigError(`invalid label "${item}": expected key=value`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!LABEL_KEY.test(key)) {
      throw new ConfigError(
        `invalid label "${item}": key must start and end with a letter or digit and contain only letters, digits, '.', '_', '-', '/'`,
      );
    }
    if (Object.hasOwn(labels, key)) throw new ConfigError(`invalid label "${item}": label "${key}" given twice`);
    labels[key] = value;
  }
  return labels;
}

export function parseLogLevel(raw: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw);
  if (!level) throw new ConfigError(`invalid log level "${raw}": expected one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

export function parseNodeName(raw: string): string {
  if (!NODE_NAME.test(raw)) {
    throw new ConfigError(
      `invalid node name "${raw}": use 1-253 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    );
  }
  return raw;
}

/** The Docker Engine endpoint in the forms DOCKER_HOST accepts and dockerode can reach. */
export type DockerHost =
  | { readonly url: string; readonly kind: 'unix'; readonly socketPath: string }
  | { readonly url: string; readonly kind: 'tcp'; readonly host: string; readonly port: number };

export function parseDockerHost(raw: string): DockerHost {
  const bad = (why: string) => new ConfigError(`invalid docker host "${raw}": ${why}`);
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!isAbsolute(socketPath)) throw bad('expected unix:///absolute/path.sock');
    return { url: raw, kind: 'unix', socketPath };
  }
  if (raw.startsWith('tcp://')) {
    const { host, port } = splitHostPort(raw.slice('tcp://'.length), () => bad('expected tcp://host:port'));
    if (port === undefined) throw bad('expected tcp://host:port');
    return { url: raw, kind: 'tcp', host, port };
  }
  throw bad('expected unix:///path or tcp://host:port');
}

/** `--advertise-addr` as Docker takes it: an IP address or interface name, with an optional port. */
export function parseAdvertiseAddr(raw: string): string {
  const bad = () => new ConfigError(`invalid advertise address "${raw}": expected <ip|interface>[:port]`);
  const { host } = splitHostPort(raw, bad);
  if (isIP(host) === 0 && !INTERFACE_NAME.test(host)) throw bad();
  return raw;
}

function splitHostPort(raw: string, bad: () => ConfigError): { host: string; port: number | undefined } {
  let host: string;
  let portText: string | undefined;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) throw bad();
    host = raw.slice(1, close);
    const rest = raw.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw bad();
    portText = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) throw bad();
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0 && raw.indexOf(':') !== colon) {
      // A bare IPv6 literal carries no port.
      host = raw;
      if (isIP(host) !== 6) throw bad();
    } else {
      host = colon < 0 ? raw : raw.slice(0, colon);
      portText = colon < 0 ? undefined : raw.slice(colon + 1);
    }
  }
  if (host === '') throw bad();
  if (portText === undefined) return { host, port: undefined };
  if (!/^\d{1,5}$/.test(portText)) throw bad();
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad();
  return { host, port };
}

/** Accepts `/path.sock`, `relative.sock` or `unix:///path.sock`; returns the absolute path. */
export function parseControlSocket(raw: string, cwd: string): string {
  let path = raw;
  if (raw.includes('://')) {
    if (!raw.startsWith('unix://')) throw new ConfigError(`invalid control socket "${raw}": expected a path or unix:///path`);
    path = raw.slice('unix://'.length);
  }
  if (path === '') throw new ConfigError(`invalid control socket "${raw}": empty path`);
  const absolute = resolve(cwd, path);
  const longest = Math.max(Buffer.byteLength(absolute), Buffer.byteLength(stagingSocketPath(absolute, 4_194_304)));
  if (longest > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError(
      `invalid control socket "${raw}": path too long for a unix socket (${longest} bytes with the staging name, max ${MAX_SOCKET_PATH_BYTES})`,
    );
  }
  return absolute;
}

/**
 * Where the socket is bound before it is linked into place: same directory (link needs one
 * file system), short (sun_path limit), unique per process.
 */
export function stagingSocketPath(socketPath: string, pid: number): string {
  return join(dirname(socketPath), `.fl-${pid}.sock`);
}

export function parseDataDir(raw: string, cwd: string): string {
  if (raw === '') throw new ConfigError('invalid data dir "": empty path');
  return resolve(cwd, raw);
}

/** A TCP port; 0 means "any free port". */
export function parsePort(raw: string, flag: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new ConfigError(`invalid ${flag} "${raw}": expected a port number 0-65535`);
  return port;
}

/**
 * `--nats-monitor-addr host:port`: nats-server's HTTP monitoring (/varz, /routez, ...), a
 * diagnostic off by default. Loopback only: it answers without authentication.
 */
export function parseNatsMonitorAddr(raw: string): { host: string; port: number } {
  const at = raw.lastIndexOf(':');
  const host = at > 0 ? raw.slice(0, at) : '';
  const port = Number(raw.slice(at + 1));
  if (at <= 0 || !/^\d+$/.test(raw.slice(at + 1)) || port < 1 || port > 65535) {
    throw new ConfigError(`invalid --nats-monitor-addr "${raw}": expected host:port with a port 1-65535`);
  }
  if (!isLoopback(host)) throw new ConfigError(`invalid --nats-monitor-addr "${raw}": monitoring answers without authentication, so only a loopback address is allowed`);
  return { host, port };
}
