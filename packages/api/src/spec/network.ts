import type { IpamConfig, NetworkSpec } from '../gen/flotilla/network.js';
import { cidrContains, cidrsOverlap, cidrWithin, formatCidr, networkOf, parseCidr, parseIp, type Cidr } from './cidr.js';
import { DEFAULT_NETWORK_DRIVER } from './defaults.js';
import { Problems, type SpecInput } from './problems.js';
import { checkAnnotations, type Checked } from './service.js';

const SUPPORTED_DRIVERS = [DEFAULT_NETWORK_DRIVER];

/**
 * Validates a NetworkSpec and returns it with defaults (driver "overlay").
 * Subnets must be written with host bits clear ("10.0.0.0/24", as docker
 * insists), gateways and ranges must lie inside their subnet, and subnets may
 * not overlap one another. Throws the first SpecError.
 */
export function validateNetworkSpec(input: SpecInput<NetworkSpec>): NetworkSpec {
  const { spec, problems } = checkNetworkSpec(input);
  if (problems[0]) throw problems[0];
  return spec;
}

export function checkNetworkSpec(input: SpecInput<NetworkSpec>): Checked<NetworkSpec> {
  const p = new Problems();
  const annotations = checkAnnotations(p, input.annotations, 'network');
  const driver = input.driver || DEFAULT_NETWORK_DRIVER;
  if (!SUPPORTED_DRIVERS.includes(driver)) {
    p.add('driver', `driver must be ${SUPPORTED_DRIVERS.map((d) => JSON.stringify(d)).join(' or ')} (got ${JSON.stringify(driver)})`);
  }
  const spec: NetworkSpec = {
    annotations,
    driver,
    ipam: checkIpam(p, input.ipam ?? []),
    attachable: input.attachable ?? false,
    internal: input.internal ?? false,
    ingress: input.ingress ?? false,
  };
  if (spec.ingress && spec.attachable) p.add('attachable', 'an ingress network cannot be attachable');
  if (spec.ingress && spec.internal) p.add('internal', 'an ingress network cannot be internal');
  return { spec, problems: p.list };
}

function checkIpam(p: Problems, inputs: ReadonlyArray<SpecInput<IpamConfig>>): IpamConfig[] {
  const subnets: Array<{ cidr: Cidr; index: number }> = [];
  return inputs.map((input, i) => {
    const at = `ipam[${i}]`;
    const cfg: IpamConfig = { subnet: input.subnet ?? '', gateway: input.gateway ?? '', range: input.range ?? '' };
    if (cfg.subnet === '') {
      if (cfg.gateway !== '' || cfg.range !== '') p.add(`${at}.subnet`, `${at}.subnet must be given when a gateway or range is`);
      return cfg;
    }
    const subnet = parseCidr(cfg.subnet);
    if (!subnet) {
      p.add(`${at}.subnet`, `${at}.subnet ${JSON.stringify(cfg.subnet)} is not a valid CIDR (like 10.0.9.0/24)`);
      return cfg;
    }
    const network: Cidr = { address: networkOf(subnet), prefix: subnet.prefix };
    if (network.address.value !== subnet.address.value) {
      p.add(`${at}.subnet`, `${at}.subnet ${JSON.stringify(cfg.subnet)} has host bits set: it should be ${formatCidr(network)}`);
    }
    const clash = subnets.find((s) => cidrsOverlap(s.cidr, network));
    if (clash) p.add(`${at}.subnet`, `${at}.subnet ${cfg.subnet} overlaps ipam[${clash.index}].subnet ${formatCidr(clash.cidr)}`);
    subnets.push({ cidr: network, index: i });

    if (cfg.gateway !== '') {
      const gateway = parseIp(cfg.gateway);
      if (!gateway) p.add(`${at}.gateway`, `${at}.gateway ${JSON.stringify(cfg.gateway)} is not a valid IP address`);
      else if (!cidrContains(network, gateway)) p.add(`${at}.gateway`, `${at}.gateway ${cfg.gateway} is not inside subnet ${cfg.subnet}`);
    }
    if (cfg.range !== '') {
      const range = parseCidr(cfg.range);
      if (!range) p.add(`${at}.range`, `${at}.range ${JSON.stringify(cfg.range)} is not a valid CIDR`);
      else if (!cidrWithin(range, network)) p.add(`${at}.range`, `${at}.range ${cfg.range} is not inside subnet ${cfg.subnet}`);
    }
    return cfg;
  });
}
