import { EndpointMode, SpecError, parsePublish, type EndpointSpec, type NetworkAttachmentConfig, type PortConfig } from '@flotilla/api';
import { CliError } from '../errors.js';

/** `service create` flags that attach the service to networks and publish its ports. */
export interface ServiceNetworkFlags {
  network?: string[];
  publish?: string[];
  endpointMode?: string;
}

const usage = (message: string) => new CliError(message, 2);

const MODES: Record<string, EndpointMode> = { vip: EndpointMode.ENDPOINT_MODE_VIP, dnsrr: EndpointMode.ENDPOINT_MODE_DNSRR };

/** `--network mynet` or docker's long form `--network name=mynet,alias=web1,alias=web`. */
export function parseNetworkFlag(raw: string): NetworkAttachmentConfig {
  if (!raw.includes('=')) {
    if (raw.trim() === '') throw usage('invalid argument "" for "--network" flag: a network name or ID is required');
    return { target: raw.trim(), aliases: [] };
  }
  const out: NetworkAttachmentConfig = { target: '', aliases: [] };
  for (const field of raw.split(',')) {
    const eq = field.indexOf('=');
    const key = field.slice(0, Math.max(0, eq)).trim().toLowerCase();
    const value = field.slice(eq + 1).trim();
    if (eq < 0 || value === '') throw usage(`invalid argument "${raw}" for "--network" flag: "${field}" must be key=value`);
    if (key === 'name' || key === 'target') out.target = value;
    else if (key === 'alias') out.aliases.push(value);
    else throw usage(`invalid argument "${raw}" for "--network" flag: unknown key "${key}" (use name, alias)`);
  }
  if (out.target === '') throw usage(`invalid argument "${raw}" for "--network" flag: name is required`);
  return out;
}

export function parsePublishFlag(raw: string): PortConfig[] {
  try {
    return parsePublish(raw);
  } catch (err) {
    if (err instanceof SpecError) throw usage(`invalid argument "${raw}" for "--publish" flag: ${err.message}`);
    throw err;
  }
}

export function parseEndpointMode(raw: string): EndpointMode {
  const mode = MODES[raw.toLowerCase()];
  if (mode === undefined) throw usage(`invalid argument "${raw}" for "--endpoint-mode" flag: expected vip or dnsrr`);
  return mode;
}

/** The task networks and the endpoint spec the flags ask for (the daemon applies defaults and checks the rest). */
export function networkPartsFromFlags(opts: ServiceNetworkFlags): { networks: NetworkAttachmentConfig[]; endpoint: EndpointSpec } {
  return {
    networks: (opts.network ?? []).map(parseNetworkFlag),
    endpoint: {
      mode: opts.endpointMode === undefined ? EndpointMode.ENDPOINT_MODE_VIP : parseEndpointMode(opts.endpointMode),
      ports: (opts.publish ?? []).flatMap(parsePublishFlag),
    },
  };
}
