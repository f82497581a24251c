import { PortProtocol, PublishMode, type PortConfig } from '../gen/flotilla/service.js';
import { SpecError } from './errors.js';

/**
 * Parses one `--publish` value (also a compose `ports:` entry) into port configs:
 *  - short form `[published:]target[/protocol]`, where either side may be a
 *    range ("8000-8002:80-82/udp") of the same length; no published part
 *    leaves the published port 0 (allocated from the dynamic range);
 *  - long form `target=80,published=8080,protocol=udp,mode=host`.
 * Throws SpecError (field "publish") naming the value.
 */
export function parsePublish(text: string): PortConfig[] {
  const fail = (why: string): never => {
    throw new SpecError('publish', `invalid port ${JSON.stringify(text)}: ${why}`);
  };
  const trimmed = text.trim();
  if (trimmed === '') fail('empty');
  return trimmed.includes('=') ? [parseLongForm(trimmed, fail)] : parseShortForm(trimmed, fail);
}

function parseShortForm(text: string, fail: (why: string) => never): PortConfig[] {
  const slash = text.indexOf('/');
  const ports = slash >= 0 ? text.slice(0, slash) : text;
  const protocol = slash >= 0 ? parseProtocol(text.slice(slash + 1), fail) : PortProtocol.PORT_PROTOCOL_TCP;
  const parts = ports.split(':');
  if (parts.length > 2) fail('a host IP cannot be given for a service port (use published:target)');
  const [first = '', second] = parts;
  const target = parseRange(second ?? first, 'target', fail);
  const published = second === undefined ? undefined : parseRange(first, 'published', fail);
  if (published && published.length !== target.length) {
    fail(`published side has ${published.length} port(s) but target side has ${target.length}`);
  }
  return target.map((targetPort, i) => ({
    name: '',
    protocol,
    targetPort,
    publishedPort: published?.[i] ?? 0,
    publishMode: PublishMode.PUBLISH_MODE_INGRESS,
  }));
}

function parseLongForm(text: string, fail: (why: string) => never): PortConfig {
  const out: PortConfig = {
    name: '',
    protocol: PortProtocol.PORT_PROTOCOL_TCP,
    targetPort: 0,
    publishedPort: 0,
    publishMode: PublishMode.PUBLISH_MODE_INGRESS,
  };
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) fail(`${JSON.stringify(field)} must be key=value`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1).trim();
    switch (key) {
      case 'target':
        out.targetPort = parsePort(value, 'target', fail);
        break;
      case 'published':
        out.publishedPort = parsePort(value, 'published', fail);
        break;
      case 'protocol':
        out.protocol = parseProtocol(value, fail);
        break;
      case 'mode':
        if (value === 'ingress') out.publishMode = PublishMode.PUBLISH_MODE_INGRESS;
        else if (value === 'host') out.publishMode = PublishMode.PUBLISH_MODE_HOST;
        else fail(`mode must be "ingress" or "host", not ${JSON.stringify(value)}`);
        break;
      case 'name':
        out.name = value;
        break;
      default:
        fail(`unknown key ${JSON.stringify(key)} (use target, published, protocol, mode, name)`);
    }
  }
  if (out.targetPort === 0) fail('target port is required');
  return out;
}

function parseProtocol(text: string, fail: (why: string) => never): PortProtocol {
  switch (text.toLowerCase()) {
    case 'tcp':
      return PortProtocol.PORT_PROTOCOL_TCP;
    case 'udp':
      return PortProtocol.PORT_PROTOCOL_UDP;
    default:
      return fail(`protocol must be tcp or udp, not ${JSON.stringify(text)}`);
  }
}

function parseRange(text: string, what: string, fail: (why: string) => never): number[] {
  const dash = text.indexOf('-');
  if (dash < 0) return [parsePort(text, what, fail)];
  const start = parsePort(text.slice(0, dash), what, fail);
  const end = parsePort(text.slice(dash + 1), what, fail);
  if (end < start) fail(`${what} range ${start}-${end} ends before it starts`);
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

function parsePort(text: string, what: string, fail: (why: string) => never): number {
  if (!/^\d+$/.test(text)) fail(`${what} port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) fail(`${what} port ${port} is outside 1-65535`);
  return port;
}
